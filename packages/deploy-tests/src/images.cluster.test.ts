import { randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, freePort, imageRuntime, waitFor } from '@guitars/testenv';
import {
  CoordinationV1Api,
  CustomObjectsApi,
  type V1Container,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildImages, imageTag } from '../../../scripts/images/build.ts';
import { detectEngine, type Engine } from '../../../scripts/images/engine.ts';
import { Containers } from './containers.js';
import { applyAppPrerequisites, deployment, find, kustomize } from './kube.js';
import { LoopbackRegistry, REGISTRY_BINARY, registryAvailable } from './registry.js';
import { APP_NAMES, APPS, type App, NAMESPACE, repoPath } from './repo.js';
import { type PulledBack, pullBack } from './round-trip.js';

/**
 * Both images, built by a real container engine through the code `npm run images` runs, and run
 * as OpenShift runs a pod under its restricted-v2 SCC: read-only root filesystem, an arbitrary UID
 * with group 0, every capability dropped, no privilege escalation, an emptyDir /tmp, the
 * environment and ConfigMaps of its Deployment (OpenShift overlay), and in-cluster credentials:
 * its ServiceAccount's token, bound by k8s/base's RBAC, where a pod has it. Then each does its job
 * against the test control plane and stops cleanly.
 *
 * The images run are the round trip a cluster makes: built and pushed by `npm run images -- --push`'s
 * code to a real registry on loopback (Debian's docker-registry), and pulled back by the digest
 * the push reported, into an image store of their own (round-trip.ts). Without the registry they
 * are the local builds, saying so.
 *
 * With no engine that runs containers (docker with a daemon, or podman) the file is skipped, and
 * fails instead when REQUIRE_CONTAINER_ENGINE=1 (CI sets it: there it must run, round trip included).
 */
const cluster = new Cluster(inject('testenv'));
const GROUP = 'kool.karmalabs.local';
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

const detected = await detectEngine();
const engine: Engine | undefined = detected.engine?.canRun ? detected.engine : undefined;
const missing = detected.engine
  ? `${detected.engine.name} builds images but does not run containers`
  : detected.reason;
if (!engine) {
  if (process.env.REQUIRE_CONTAINER_ENGINE === '1')
    throw new Error(`REQUIRE_CONTAINER_ENGINE=1, but no engine here runs containers: ${missing}`);
  console.warn(`images.cluster.test.ts skipped: needs docker (with a daemon) or podman; ${missing}`);
}

const roundTrip = engine !== undefined && registryAvailable();
if (engine && !roundTrip) {
  if (process.env.REQUIRE_CONTAINER_ENGINE === '1')
    throw new Error(
      `REQUIRE_CONTAINER_ENGINE=1, but there is no registry at ${REGISTRY_BINARY} (docker-registry)`,
    );
  console.warn(`images.cluster.test.ts runs the local builds: no registry at ${REGISTRY_BINARY}`);
}

/** An arbitrary UID from an OpenShift project's range: no passwd entry, no home, owns no file. */
const UID = randomInt(1_000_000_000, 2_000_000_000);
const work = mkdtempSync(join(tmpdir(), 'guitars-images-'));
let containers: Containers;
let registry: LoopbackRegistry | undefined;
let pulled: PulledBack | undefined;
/** The image each test runs: pulled back by digest, or the local build. */
const images: Partial<Record<App, string>> = {};
const imageOf = (app: App): string => images[app] ?? imageTag(app);
const pushedNames: string[] = [];

beforeAll(async () => {
  if (!engine) return;
  // Minutes per image cold, more for the base image's stand-in where it cannot be pulled
  // (docs/deploy.md has the times); under a minute when the layer cache holds the build stages.
  // Progress, without each build step's output (a failed step's last lines come with its error).
  const log = (line: string) => {
    if (!/^\[(controller|ui)\] /.test(line)) console.log(`[images] ${line}`);
  };
  if (roundTrip) registry = await LoopbackRegistry.start();
  const built = await buildImages(engine, {
    apps: [...APPS],
    log,
    ...(registry ? { push: { registry: registry.address, latest: true } } : {}),
  });
  for (const image of built) log(`${engine.name}: ${image.tag} built in ${image.seconds} s`);
  pushedNames.push(...built.flatMap((image) => image.pushed?.references ?? []));
  if (registry) {
    const started = Date.now();
    pulled = await pullBack(engine, registry, built);
    Object.assign(images, pulled.references);
    log(
      `pulled back by digest in ${Math.round((Date.now() - started) / 1000)} s: ${Object.values(images).join(', ')}`,
    );
    containers = pulled.containers;
  } else {
    containers = new Containers(engine);
  }
  await applyAppPrerequisites(cluster);
}, 2_400_000);

afterAll(async () => {
  await (pulled ? pulled.cleanup() : containers?.removeAll());
  // The build's store keeps the images under their local names only: the registry's names (a
  // port of this run's) are dropped, tag by tag (rmi of a name that is not the last one untags).
  if (engine && pulled)
    for (const reference of pushedNames) await new Containers(engine).run(['rmi', reference]);
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
}, 300_000);

describe.skipIf(!roundTrip)('the round trip a cluster makes: push, then pull by digest', () => {
  it.each(APPS)(
    '%s: the registry serves the pushed digest under its tags, and the store runs only what it pulled',
    async (app) => {
      const reference = imageOf(app);
      const digest = reference.split('@')[1] as string;
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      for (const tag of [imageTag(app).split(':')[1] as string, 'latest'])
        expect(await registry?.digestOf(`guitars-${app}`, tag), tag).toBe(digest);
      const inspect = await containers.run(['image', 'inspect', '--format', '{{.Digest}}', reference]);
      expect(inspect.stdout.trim(), inspect.stderr).toBe(digest);
      if (engine?.name === 'podman') {
        // The store of the pulls holds these two images and nothing of the build's.
        const listed = await containers.run(['images', '--format', '{{.Repository}}@{{.Digest}}']);
        expect(listed.stdout.trim().split('\n').sort()).toEqual(Object.values(images).sort());
      }
    },
  );
});

/** The container's environment as its Deployment gives it, and the ConfigMaps it mounts, as files. */
async function deploymentSetup(app: App, podName: string) {
  const objects = await kustomize(cluster, 'overlays/openshift');
  const d: V1Deployment = deployment(objects, APP_NAMES[app].deployment);
  const spec = d.spec?.template.spec;
  const c = spec?.containers.find((x) => x.name === APP_NAMES[app].container) as V1Container;
  const mounts: Record<string, string> = {};
  for (const mount of c.volumeMounts ?? []) {
    const configMap = spec?.volumes?.find((v) => v.name === mount.name)?.configMap?.name;
    if (!configMap) continue;
    const data = (find(objects, 'ConfigMap', configMap).data ?? {}) as Record<string, string>;
    const dir = join(work, `${app}-${mount.name}`);
    mkdirSync(dir, { recursive: true });
    for (const [key, value] of Object.entries(data)) writeFileSync(join(dir, key), value, { mode: 0o644 });
    mounts[dir] = mount.mountPath;
  }
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    const value =
      e.value ??
      (field === 'metadata.name' ? podName : field === 'metadata.namespace' ? NAMESPACE : undefined);
    if (value === undefined) throw new Error(`${e.name}: no value this test knows how to give`);
    env[e.name] = value;
  }
  // The emptyDir volumes: /tmp, where HOME points.
  const tmpfs = (c.volumeMounts ?? [])
    .filter((m) => spec?.volumes?.find((v) => v.name === m.name)?.emptyDir)
    .map((m) => m.mountPath);
  return { env, mounts, tmpfs };
}

/**
 * The pod's service-account folder, for the app's in-cluster mode: the token of its
 * ServiceAccount, readable by group 0 only, as a mounted Secret with OpenShift's fsGroup is.
 */
async function serviceAccountMount(app: App) {
  const { root, env } = await cluster.inClusterRoot(NAMESPACE, APP_NAMES[app].serviceAccount);
  const dir = join(root, SERVICE_ACCOUNT_DIR);
  chmodSync(join(dir, 'token'), 0o640);
  return { mounts: { [dir]: SERVICE_ACCOUNT_DIR }, env };
}

/**
 * Starts the app's image as a pod of its Deployment would run, listening on `port` (and the UI's
 * metrics listener, which the overlay puts on :8081, on `metricsPort`: the host's network is shared).
 */
async function startApp(app: App, port: number, metricsPort = 0) {
  const podName = `${APP_NAMES[app].deployment}-7d9f8c6b5-${randomInt(10_000, 99_999)}`;
  const setup = await deploymentSetup(app, podName);
  const account = await serviceAccountMount(app);
  const env: Record<string, string> = { ...setup.env, ...account.env };
  if (app === 'ui') Object.assign(env, { PORT: String(port), HOST: '127.0.0.1' });
  else env.CONTROLLER_PROBE_BIND_ADDRESS = `127.0.0.1:${port}`;
  if (env.UI_METRICS_BIND_ADDRESS) env.UI_METRICS_BIND_ADDRESS = `127.0.0.1:${metricsPort}`;
  const name = await containers.start(app, {
    image: imageOf(app),
    user: `${UID}:0`,
    env,
    mounts: { ...setup.mounts, ...account.mounts },
    tmpfs: setup.tmpfs,
  });
  return { name, podName, env };
}

/** A user (a ServiceAccount token stands in) who may manage the guitars of `namespace`. */
async function signedInUser(namespace: string): Promise<{ name: string; token: string }> {
  const sa = 'guitar-manager';
  await cluster.ensureServiceAccount(namespace, sa);
  await cluster.grantRole(
    namespace,
    sa,
    [{ apiGroups: [GROUP], resources: ['guitars'], verbs: ['get', 'list', 'watch', 'create', 'delete'] }],
    { namespace, name: sa },
  );
  return { name: `system:serviceaccount:${namespace}:${sa}`, token: await cluster.tokenFor(namespace, sa) };
}

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: await response.text() };
}

/** waitFor that gives up as soon as the container has exited. */
async function waitWhileRunning(name: string, what: string, check: () => Promise<boolean>, ms = 60_000) {
  let exited = false;
  await waitFor(
    what,
    async () => {
      exited = !(await containers.running(name));
      return !exited && (await check());
    },
    ms,
    () => exited,
  );
}

describe.skipIf(!engine).each(APPS)('the %s image', (app) => {
  const appDir = `/app/packages/${app}`;

  it('holds the app as one bundle and nothing else: no node_modules, sources or source map', async () => {
    // Copied out of a created (never started) container: the image's own files.
    const copy = join(work, `${app}-app`);
    await containers.copyOut(await containers.create(`${app}-files`, imageOf(app)), '/app', copy);
    const files = readdirSync(copy, { recursive: true, encoding: 'utf8' }).sort();
    const expected = [
      'packages',
      `packages/${app}`,
      ...['dist', 'dist/index.js', 'dist/bundle.cjs', 'package.json'].map((f) => `packages/${app}/${f}`),
    ];
    if (app === 'ui') {
      // The templates and static files, all of them and nothing else.
      for (const dir of ['views', 'public']) {
        const source = readdirSync(join(import.meta.dirname, '../../ui', dir), {
          recursive: true,
          encoding: 'utf8',
        });
        expected.push(`packages/ui/${dir}`, ...source.map((f) => `packages/ui/${dir}/${f}`));
      }
    }
    expect(files).toEqual(expected.sort());
    expect(JSON.parse(readFileSync(join(copy, `packages/${app}/package.json`), 'utf8')).type).toBe('module');

    // dist/index.js, the entry point, requires the bundle beside it: its import statements name
    // Node's built-ins only, never another module of dist/ or a package.
    const entry = readFileSync(join(copy, `packages/${app}/dist/index.js`), 'utf8');
    const imports = [...entry.matchAll(/(?:^|[;\n])import\s*(?:[\w$\s{},*]+?from\s*)?["']([^"']+)["']/g)];
    expect(imports.map((m) => m[1] ?? '').filter((i) => !isBuiltin(i))).toEqual([]);
    expect(entry).toContain('bundle.cjs');
    // dist/bundle.cjs is the bundle.
    const main = readFileSync(join(copy, `packages/${app}/dist/bundle.cjs`), 'utf8');
    // ...and it holds its dependencies: client-node's KubeConfig and pino at least. (Its size says
    // little: trimmed to what runs, the controller's is 0.6 MB, against 3 kB for tsc's entry.)
    expect(main, 'client-node bundled').toContain('KubeConfig=class');
    expect(main, 'pino bundled').toContain('node_modules/pino/pino.js');
    expect(main.length, 'a bundle, not an entry that imports').toBeGreaterThan(300_000);
    // All ASCII: V8 would keep a source with any other character as a two-byte string, twice the heap.
    expect(Buffer.byteLength(main, 'utf8'), 'UTF-8 bytes, one per character').toBe(main.length);
    // The controller carries the CRD manifest it installs (packages/shared/crd is not in the image).
    if (app === 'controller') {
      const manifest = readFileSync(
        join(import.meta.dirname, '../../shared/crd/guitars.kool.karmalabs.local.yaml'),
        'utf8',
      );
      expect(main).toContain(manifest.split('\n')[0]);
    }
  }, 120_000);

  it('runs Node.js as the arbitrary UID with group 0, in its folder, with no npm and a read-only root', async () => {
    const script = [
      "const fs = require('node:fs');",
      'let write = "written";',
      "try { fs.writeFileSync('written-by-the-app', 'x'); } catch (err) { write = err.code; }",
      'console.log(JSON.stringify({ cwd: process.cwd(), uid: process.getuid(), gid: process.getgid(),',
      '  node: process.version, env: process.env.NODE_ENV, home: process.env.HOME, write,',
      "  tools: ['/usr/local/bin/npm', '/usr/local/bin/npx', '/usr/local/bin/corepack', '/usr/local/bin/yarn',",
      "    '/usr/local/lib/node_modules'].filter((p) => fs.existsSync(p)) }));",
    ].join('\n');
    const result = await containers.once(`${app}-node`, {
      image: imageOf(app),
      user: `${UID}:0`,
      command: ['node', '-e', script],
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      cwd: appDir,
      uid: UID,
      gid: 0,
      // The Node.js of the tests: the Dockerfiles' FROM names the lockfile's version.
      node: process.version,
      env: 'production',
      home: '/tmp',
      write: 'EROFS',
      tools: [],
    });
  }, 120_000);
});

describe.skipIf(!engine)('the controller image, run as its Deployment runs it', () => {
  it('becomes ready, reviews a guitar, and releases its Lease when stopped', async () => {
    const port = await freePort();
    const { name, podName } = await startApp('controller', port);
    const probes = `http://127.0.0.1:${port}`;
    try {
      await waitWhileRunning(
        name,
        'the controller is live',
        async () => (await get(`${probes}/healthz`)).status === 200,
      );
      await waitWhileRunning(
        name,
        'the controller is ready',
        async () => (await get(`${probes}/readyz`)).status === 200,
      );
      await expectRestricted(name, 'controller');

      const shop = await cluster.createNamespace('image');
      const guitars = cluster.adminConfig().makeApiClient(CustomObjectsApi);
      const target = { group: GROUP, version: 'v1', namespace: shop, plural: 'guitars' };
      await guitars.createNamespacedCustomObject({
        ...target,
        body: {
          apiVersion: `${GROUP}/v1`,
          kind: 'Guitar',
          metadata: { name: 'strat' },
          spec: { brand: 'fender' },
        },
      });
      // Reviewed by the policy of the mounted ConfigMap.
      await waitWhileRunning(name, 'the controller reviews the guitar', async () => {
        const g = (await guitars.getNamespacedCustomObject({ ...target, name: 'strat' })) as {
          spec: { review?: boolean; comment?: string };
        };
        return g.spec.review === true && g.spec.comment === 'this is a great instrument';
      });
      // It leads through the Lease that k8s/base's RBAC lets it hold, under the pod's name.
      const leases = cluster.adminConfig().makeApiClient(CoordinationV1Api);
      const lease = () => leases.readNamespacedLease({ name: 'guitars-controller', namespace: NAMESPACE });
      expect((await lease()).spec?.holderIdentity).toBe(podName);

      // SIGTERM (the image's STOPSIGNAL), as the kubelet sends it: a clean stop within the grace period.
      expect(await containers.stop(name, 30)).toBe(0);
      // A stopping leader clears the holder, so the standby replica takes over at once.
      expect((await lease()).spec?.holderIdentity ?? '').toBe('');
      expect(await containers.logs(name)).toContain('released the lease');
    } catch (err) {
      throw withLogs(err, await containers.logs(name));
    }
  }, 300_000);
});

describe.skipIf(!engine)('the UI image, run as its Deployment runs it', () => {
  it('lists, creates and deletes guitars through its JSON API, and serves its pages', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const { name, env } = await startApp('ui', port, metricsPort);
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitWhileRunning(
        name,
        'the UI is ready',
        async () => (await get(`${base}/readyz`)).status === 200,
      );
      await expectRestricted(name, 'ui');

      const shop = await cluster.createNamespace('image');
      // The overlay runs the UI behind its sign-in proxy (UI_AUTH=proxy), which it believes on
      // loopback: the test is that proxy (host network: it connects from 127.0.0.1), signed in as
      // a user who may manage the guitars of `shop`, and the UI writes with that user's token.
      expect(env.UI_AUTH).toBe('proxy');
      const user = await signedInUser(shop);
      const asUser = { 'x-forwarded-user': user.name, 'x-forwarded-access-token': user.token };
      expect((await get(`${base}/api/guitars`)).status, 'without the proxy headers').toBe(401);
      const guitars = cluster.adminConfig().makeApiClient(CustomObjectsApi);
      const target = { group: GROUP, version: 'v1', namespace: shop, plural: 'guitars' };
      const exists = async (guitar: string) =>
        guitars.getNamespacedCustomObject({ ...target, name: guitar }).then(
          () => true,
          (err: { code?: number }) => (err.code === 404 ? false : Promise.reject(err)),
        );
      const listed = async () =>
        (
          JSON.parse((await get(`${base}/api/guitars?namespace=${shop}`, asUser)).body) as {
            items?: Array<{ name: string }>;
          }
        ).items?.map((g) => g.name) ?? [];

      // Lists what is in the cluster.
      await guitars.createNamespacedCustomObject({
        ...target,
        body: {
          apiVersion: `${GROUP}/v1`,
          kind: 'Guitar',
          metadata: { name: 'lespaul' },
          spec: { brand: 'gibson' },
        },
      });
      await waitWhileRunning(name, 'the UI lists the guitar', async () =>
        (await listed()).includes('lespaul'),
      );

      // Creates, as the signed-in user.
      const created = await fetch(`${base}/api/guitars`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...asUser },
        body: JSON.stringify({ name: 'jazzmaster', brand: 'fender', namespace: shop }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
      expect(await exists('jazzmaster')).toBe(true);
      await waitWhileRunning(name, 'the UI lists the new guitar', async () =>
        (await listed()).includes('jazzmaster'),
      );

      // Deletes.
      const deleted = await fetch(`${base}/api/guitars/${shop}/jazzmaster`, {
        method: 'DELETE',
        headers: asUser,
      });
      expect(deleted.status, await deleted.clone().text()).toBe(204);
      await waitFor('the guitar is gone from the cluster', async () => !(await exists('jazzmaster')), 30_000);
      await waitWhileRunning(
        name,
        'the UI no longer lists it',
        async () => !(await listed()).includes('jazzmaster'),
      );

      // The page renders from views/ and the stylesheet comes from public/.
      const page = await get(`${base}/?namespace=${shop}`, asUser);
      expect(page.status).toBe(200);
      expect(page.body).toContain('lespaul');
      expect(page.body).toContain(`Signed in as <strong>${user.name}</strong>`);
      expect((await get(`${base}/static/app.css`, asUser)).status).toBe(200);
      // /metrics is for Prometheus on the metrics port, never for the proxy's users.
      expect((await get(`${base}/metrics`, asUser)).status).toBe(404);
      expect((await get(`http://127.0.0.1:${metricsPort}/metrics`)).body).toContain(
        'guitars_ui_cached_guitars',
      );

      expect(await containers.stop(name, 30)).toBe(0);
    } catch (err) {
      throw withLogs(err, await containers.logs(name));
    }
  }, 300_000);
});

/**
 * The container's process is node itself (PID 1), with the flags its Dockerfile's CMD gives, as
 * the UID with group 0, with no privilege left.
 */
async function expectRestricted(name: string, app: App) {
  const { cmdline, status } = await containers.process(name);
  const { nodeArgs } = imageRuntime(repoPath('packages', app, 'Dockerfile'));
  expect(cmdline).toEqual(['node', ...nodeArgs, 'dist/index.js']);
  expect(status.Uid?.split(/\s+/)).toEqual(Array(4).fill(String(UID)));
  expect(status.Gid?.split(/\s+/)).toEqual(Array(4).fill('0'));
  for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
    expect(status[set], set).toMatch(/^0+$/);
  expect(status.NoNewPrivs).toBe('1');
}

function withLogs(err: unknown, logs: string): Error {
  return new Error(
    `${err instanceof Error ? err.message : String(err)}\n--- container logs ---\n${logs.slice(-4000)}`,
  );
}
