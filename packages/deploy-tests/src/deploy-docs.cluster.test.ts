import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Cluster, type ControlPlane, freePort, startControlPlane, waitFor } from '@guitars/testenv';
import type { V1Deployment, V1Probe } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { anchorOf, flagValues, type Section, sections, shellCommands } from './doc-commands.js';
import { deployment, find, type KubeObject, kustomize, parseManifests } from './kube.js';
import { APP_NAMES, APPS, type App, NAMESPACE, repoPath } from './repo.js';

/**
 * The deploy path users take, as docs/deploy.md writes it and the README links it: every name,
 * label, variable, port and file the commands use is the one k8s/ has, and what can be run
 * without OpenShift is run, on a control plane of its own.
 */
const cluster = new Cluster(inject('testenv'));
const DEPLOY = sections(readFileSync(repoPath('docs/deploy.md'), 'utf8'));
const README = sections(readFileSync(repoPath('README.md'), 'utf8'));

const ANCHORS = {
  first: 'first-the-project-and-the-cluster-admins-part',
  images: 'images-with-oc-new-app',
  git: 'git-with-oc-new-app',
  finish: 'finishing-an-oc-new-app-deployment',
  apply: 'everything-at-once-with-oc-apply--k',
  reaching: 'reaching-the-ui',
} as const;
const NEW_APP_WAYS = ['images', 'git'] as const;

function section(anchor: string): Section {
  const found = DEPLOY.find((s) => s.anchor === anchor);
  if (!found)
    throw new Error(`docs/deploy.md has no section #${anchor}: ${DEPLOY.map((s) => s.anchor).join(', ')}`);
  return found;
}

/** The `oc <verb...>` commands of a section, e.g. oc(section, 'set', 'serviceaccount'). */
function oc(from: Section, ...verb: string[]): string[][] {
  return shellCommands(from.text).filter((c) => c[0] === 'oc' && verb.every((v, i) => c[i + 1] === v));
}

/** The `oc new-app` that makes `app` (not a Template's), in a way's section. */
function newApp(way: (typeof NEW_APP_WAYS)[number], app: App): string[] {
  const made = oc(section(ANCHORS[way]), 'new-app').filter((c) =>
    flagValues(c, '--name').includes(APP_NAMES[app].deployment),
  );
  expect(made, `${way}: one oc new-app --name=${APP_NAMES[app].deployment}`).toHaveLength(1);
  return made[0] as string[];
}

/** A command's words with the repository's paths (k8s/...) made absolute: the docs run from its root. */
function inRepo(words: string[]): string[] {
  return words.map((w) => (w.startsWith('k8s/') ? repoPath(w) : w));
}

/** `-l a=b,c=d` as a map. */
function labelsOf(command: string[]): Record<string, string> {
  return Object.fromEntries(
    flagValues(command, '-l', '--labels')
      .flatMap((l) => l.split(','))
      .map((pair) => pair.split('=') as [string, string]),
  );
}

function containerPort(d: V1Deployment, port: unknown): number | undefined {
  const c = d.spec?.template.spec?.containers[0];
  return typeof port === 'number' ? port : c?.ports?.find((p) => p.name === port)?.containerPort;
}

describe('the README and docs/deploy.md: one written flow per way', () => {
  it('the README links each OpenShift way and the finish to a section of docs/deploy.md that exists, and copies none of their commands', () => {
    const deploy = README.find((s) => s.heading === 'Deploy');
    expect(deploy).toBeDefined();
    const links = [...(deploy?.text ?? '').matchAll(/\(docs\/deploy\.md#([^)]+)\)/g)].map((m) => m[1]);
    for (const anchor of [ANCHORS.images, ANCHORS.git, ANCHORS.apply, ANCHORS.finish])
      expect(links).toContain(anchor);
    const known = new Set(DEPLOY.map((s) => s.anchor));
    expect(links.filter((l) => !known.has(l as string))).toEqual([]);
    const copied = README.flatMap((s) => shellCommands(s.text)).filter((c) => c[0] === 'oc');
    expect(copied).toEqual([]);
  });

  it('writes each app’s oc new-app once per way, and each way leads to the one finish', () => {
    const everywhere = DEPLOY.flatMap((s) => oc(s, 'new-app').map((c) => ({ anchor: s.anchor, c })));
    const apps = everywhere.filter(({ c }) => !c.includes('-f'));
    expect(new Set(apps.map((a) => a.anchor))).toEqual(new Set(NEW_APP_WAYS.map((w) => ANCHORS[w])));
    for (const way of NEW_APP_WAYS) {
      for (const app of APPS) newApp(way, app);
      expect(section(ANCHORS[way]).text).toContain(`(#${ANCHORS.finish})`);
    }
    // The finish's commands are written once.
    const finishing = DEPLOY.filter((s) => oc(s, 'set', 'serviceaccount').length > 0).map((s) => s.anchor);
    expect(finishing).toEqual([ANCHORS.finish]);
  });

  it('links only to sections that exist', () => {
    const known = new Set(DEPLOY.map((s) => s.anchor));
    const links = DEPLOY.flatMap((s) => [...s.text.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] as string));
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => !known.has(l))).toEqual([]);
    expect(anchorOf('Finishing an `oc new-app` deployment')).toBe(ANCHORS.finish);
  });
});

describe('the oc new-app ways, held to k8s/', () => {
  let base: KubeObject[];
  let openshift: KubeObject[];
  beforeAll(async () => {
    base = await kustomize(cluster, 'base');
    openshift = await kustomize(cluster, 'overlays/openshift');
  });

  it.each(NEW_APP_WAYS)(
    '%s: each app gets the name, the pod labels and the environment of its manifests, the controller CONTROLLER_INSTALL_CRD=false',
    (way) => {
      for (const app of APPS) {
        const command = newApp(way, app);
        const d = deployment(base, APP_NAMES[app].deployment);
        const labels = labelsOf(command);
        // oc new-app puts -l on the pod template and the selector: the NetworkPolicies select by it,
        // and removing by app.kubernetes.io/part-of finds what it made.
        const policy = find(base, 'NetworkPolicy', APP_NAMES[app].deployment).spec as {
          podSelector: { matchLabels: Record<string, string> };
        };
        expect(labels).toMatchObject(policy.podSelector.matchLabels);
        expect(labels).toMatchObject(d.spec?.selector.matchLabels ?? {});
        expect(labels['app.kubernetes.io/part-of']).toBe(d.metadata?.labels?.['app.kubernetes.io/part-of']);
        // Every variable given is set so by the Deployment too.
        const env = flagValues(command, '-e', '--env').map((e) => e.split('=') as [string, string]);
        const container = d.spec?.template.spec?.containers[0];
        for (const [name, value] of env) {
          expect(container?.env?.find((e) => e.name === name)?.value, name).toBe(value);
        }
        if (app === 'controller') expect(env).toContainEqual(['CONTROLLER_INSTALL_CRD', 'false']);
      }
    },
  );

  it('images: runs the images the release publishes, ghcr.io/<owner>/guitars-<app>:<version>', () => {
    // The release pushes to ghcr.io/<lower-case owner> (release.yml, workflows.test.ts holds it).
    expect(readFileSync(repoPath('.github/workflows/release.yml'), 'utf8')).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${...}, lower-casing the owner
      '--push "ghcr.io/${GITHUB_REPOSITORY_OWNER,,}"',
    );
    for (const app of APPS) {
      const version = (
        JSON.parse(readFileSync(repoPath('packages', app, 'package.json'), 'utf8')) as { version: string }
      ).version;
      const [, , image] = newApp('images', app);
      expect(image).toMatch(
        new RegExp(`^ghcr\\.io/[a-z0-9-]+/guitars-${app}:${version.replace(/\./g, '\\.')}$`),
      );
    }
  });

  it('images: a private registry’s pull secret is linked for pull to every ServiceAccount of k8s/base', async () => {
    const text = section('a-private-registry');
    const [create, ...others] = oc(text, 'create', 'secret', 'docker-registry');
    expect(others).toEqual([]);
    const secret = create?.[4] as string;
    const linked = oc(text, 'secrets', 'link')
      .filter((c) => c[4] === secret && c.includes('--for=pull'))
      .map((c) => c[3]);
    const accounts = base.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name);
    expect(linked.sort()).toEqual(accounts.sort());
    // `oc create secret` is kubectl's: the command is accepted as written (a dry run on the server).
    const words = (create as string[]).map((w) => w.replace('$TOKEN', 'a-token'));
    await cluster.ensureNamespace(NAMESPACE);
    await cluster.kubectlOk([...words.slice(1), '-n', NAMESPACE, '--dry-run=server']);
  });

  it('git: runs the ImageStreamTags the Template’s builds push', () => {
    const template = parseManifests(
      readFileSync(repoPath('k8s/openshift/builds.yaml'), 'utf8'),
    )[0] as KubeObject & {
      objects: KubeObject[];
    };
    const commands = oc(section(ANCHORS.git), 'new-app');
    expect(commands.filter((c) => flagValues(c, '-f').includes('k8s/openshift/builds.yaml'))).toHaveLength(1);
    for (const app of APPS) {
      const build = find(template.objects, 'BuildConfig', `guitars-${app}`).spec as {
        output: { to: { name: string } };
      };
      expect(flagValues(newApp('git', app), '--image-stream')).toEqual([build.output.to.name]);
      expect(oc(section(ANCHORS.git), 'logs')).toContainEqual(['oc', 'logs', '-f', `bc/guitars-${app}`]);
    }
  });

  it('the finish gives each app its ServiceAccount and probes, the NetworkPolicies, and the Route of the overlay', () => {
    const finish = section(ANCHORS.finish);
    for (const app of APPS) {
      const d = deployment(base, APP_NAMES[app].deployment);
      const serviceAccount = d.spec?.template.spec?.serviceAccountName as string;
      find(base, 'ServiceAccount', serviceAccount);
      expect(oc(finish, 'set', 'serviceaccount')).toContainEqual([
        'oc',
        'set',
        'serviceaccount',
        `deployment/${APP_NAMES[app].deployment}`,
        serviceAccount,
      ]);
      const probes: Array<[string, V1Probe | undefined]> = [
        ['--readiness', d.spec?.template.spec?.containers[0]?.readinessProbe],
        ['--liveness', d.spec?.template.spec?.containers[0]?.livenessProbe],
      ];
      for (const [kind, probe] of probes) {
        const url = `http://:${containerPort(d, probe?.httpGet?.port)}${probe?.httpGet?.path}`;
        expect(oc(finish, 'set', 'probe')).toContainEqual([
          'oc',
          'set',
          'probe',
          `deployment/${APP_NAMES[app].deployment}`,
          kind,
          `--get-url=${url}`,
        ]);
      }
    }
    expect(oc(finish, 'apply')).toContainEqual([
      'oc',
      'apply',
      '-f',
      'k8s/overlays/openshift/network-policy.yaml',
    ]);

    const route = find(openshift, 'Route', 'guitars-ui');
    const spec = route.spec as {
      to: { name: string };
      tls: { termination: string; insecureEdgeTerminationPolicy: string };
    };
    // oc new-app names the UI's Service after the Deployment. Its UI runs without the overlay's
    // sign-in proxy (a reencrypt Route to it): TLS ends at the router.
    expect(spec.to.name).toBe(APP_NAMES.ui.deployment);
    expect(spec.tls.termination).toBe('reencrypt');
    expect(oc(finish, 'create', 'route')).toEqual([
      [
        'oc',
        'create',
        'route',
        'edge',
        route.metadata.name,
        `--service=${spec.to.name}`,
        `--insecure-policy=${spec.tls.insecureEdgeTerminationPolicy}`,
      ],
    ]);
  });

  it("the cluster admin's part holds the CRD and every ServiceAccount, role and binding of k8s/base", () => {
    const [apply, ...others] = oc(section(ANCHORS.first), 'apply');
    expect(others).toEqual([]);
    const files = flagValues(apply as string[], '-f');
    const applied = files.flatMap((f) => parseManifests(readFileSync(repoPath(f), 'utf8')));
    const wanted = base.filter((o) =>
      [
        'CustomResourceDefinition',
        'ServiceAccount',
        'ClusterRole',
        'ClusterRoleBinding',
        'Role',
        'RoleBinding',
      ].includes(o.kind),
    );
    expect(wanted.length).toBeGreaterThan(0);
    for (const o of wanted) {
      expect(
        applied.some((a) => a.kind === o.kind && a.metadata.name === o.metadata.name),
        `${o.kind}/${o.metadata.name}`,
      ).toBe(true);
    }
    expect(oc(section(ANCHORS.first), 'new-project')).toEqual([['oc', 'new-project', NAMESPACE]]);
  });

  it('the oc apply -k way applies the OpenShift overlay', () => {
    expect(oc(section(ANCHORS.apply), 'apply')).toContainEqual([
      'oc',
      'apply',
      '-k',
      'k8s/overlays/openshift',
    ]);
  });
});

describe('the oc new-app way walked on a fresh control plane, as far as it goes without OpenShift', () => {
  let plane: ControlPlane;
  const running: ChildProcess[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    plane = await startControlPlane({ log: () => {} });
  }, 180_000);

  afterAll(async () => {
    for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
    await plane?.stop();
  });

  /** The app's bundle as the pod runs it: in a pod (leader election on), as `serviceAccount`. */
  async function startApp(
    app: App,
    serviceAccount: string,
    env: Record<string, string>,
  ): Promise<ChildProcess> {
    const { path } = await plane.kubeconfigFor(NAMESPACE, serviceAccount);
    const server = new URL(plane.info.server);
    const child = spawn(process.execPath, [repoPath('packages', app, 'dist/index.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        // In a pod (so leader election is on), its token not mounted here: the kubeconfig holds it.
        KUBERNETES_SERVICE_HOST: server.hostname,
        KUBERNETES_SERVICE_PORT: server.port,
        KUBECONFIG: path,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr])
      stream?.on('data', (chunk: Buffer) => logs.push(`${app}: ${chunk}`));
    running.push(child);
    return child;
  }

  it("after the admin's part and the finish, the controller reviews the sample guitars and the UI serves them", async () => {
    const finish = section(ANCHORS.finish);
    await plane.kubectlOk(['create', 'namespace', NAMESPACE]); // oc new-project guitarcenter
    // `oc apply` is kubectl's apply: run as written, as the cluster admin, strictly validated.
    const [adminApply] = oc(section(ANCHORS.first), 'apply');
    await plane.kubectlOk(['apply', '--validate=strict', ...inRepo((adminApply as string[]).slice(2))]);
    await plane.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    for (const command of oc(finish, 'apply'))
      await plane.kubectlOk(['apply', '--validate=strict', '-n', NAMESPACE, ...inRepo(command.slice(2))]);

    // Without the finish, each app would run as the namespace's default ServiceAccount: no rights.
    await plane.ensureServiceAccount(NAMESPACE, 'default');
    const can = await plane.kubectl([
      'auth',
      'can-i',
      'list',
      'guitars',
      '-A',
      `--as=system:serviceaccount:${NAMESPACE}:default`,
    ]);
    expect(can.stdout.trim()).toBe('no');

    // Each app as oc new-app (its -e) and the finish (its ServiceAccount) leave it; only the ports
    // it listens on are moved to free ones, for this shared machine.
    const ports: Record<App, number> = { controller: await freePort(), ui: await freePort() };
    const apps = new Map<App, ChildProcess>();
    for (const app of APPS) {
      const env = Object.fromEntries(
        flagValues(newApp('images', app), '-e').map((e) => e.split('=') as [string, string]),
      );
      const [, , , , serviceAccount] = oc(finish, 'set', 'serviceaccount').find(
        (c) => c[3] === `deployment/${APP_NAMES[app].deployment}`,
      ) as string[];
      const listen: Record<string, string> =
        app === 'ui'
          ? { PORT: String(ports.ui) }
          : { CONTROLLER_PROBE_BIND_ADDRESS: `127.0.0.1:${ports.controller}` };
      apps.set(app, await startApp(app, serviceAccount as string, { ...env, ...listen }));
    }
    const alive = () => [...apps.values()].some((c) => c.exitCode !== null);

    // Reaching the UI: the sample guitars.
    const samples = oc(section(ANCHORS.reaching), 'apply');
    expect(samples).toEqual([['oc', 'apply', '-n', NAMESPACE, '-f', 'k8s/samples/']]);
    await plane.kubectlOk(['apply', ...inRepo((samples[0] as string[]).slice(2))]);
    const guitars = async () =>
      (
        JSON.parse(await plane.kubectlOk(['get', 'guitars', '-n', NAMESPACE, '-o', 'json'])) as {
          items: KubeObject[];
        }
      ).items;
    const sampleNames = (await guitars()).map((g) => g.metadata.name);
    expect(sampleNames.length).toBeGreaterThan(0);
    try {
      await waitFor(
        'every sample guitar reviewed',
        async () => (await guitars()).every((g) => (g.spec as { review?: boolean }).review === true),
        60_000,
        alive,
      );
      // The probes the finish sets answer, on the ports they name (moved here as above).
      for (const command of oc(finish, 'set', 'probe')) {
        const app = APPS.find((a) => command[3] === `deployment/${APP_NAMES[a].deployment}`) as App;
        const url = new URL(
          (flagValues(command, '--get-url')[0] as string).replace('http://:', 'http://127.0.0.1:'),
        );
        url.port = String(ports[app]);
        await waitFor(`${app} ${url.pathname}`, async () => (await fetch(url)).status === 200, 30_000, alive);
      }
      const page = await (await fetch(`http://127.0.0.1:${ports.ui}/?namespace=${NAMESPACE}`)).text();
      for (const name of sampleNames) expect(page).toContain(`data-key="${NAMESPACE}/${name}"`);
    } catch (err) {
      throw new Error(`${String(err)}\n${logs.join('')}`);
    }

    for (const child of apps.values()) child.kill('SIGTERM');
    for (const child of apps.values()) {
      const [code] = child.exitCode === null ? await once(child, 'exit') : [child.exitCode];
      expect(code).toBe(0);
    }
  });
});
