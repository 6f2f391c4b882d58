import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { type ControlPlane, startControlPlane } from '@guitars/testenv';
import type { V1Deployment } from '@kubernetes/client-node';
import { dump, load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandedArgs } from './container-args.js';
import { sections } from './doc-commands.js';
import { type KubeObject, parseManifests } from './kube.js';
import { APP_NAMES, APPS, NAMESPACE, repoPath } from './repo.js';

/**
 * Issue 25, "any project name": a kustomization of one's own over an overlay that sets
 * `namespace:`, as docs/deploy.md writes it, and the `oc new-app` ways' commands for another
 * project, run on a control plane of this file's own (they rebind the cluster-wide
 * ClusterRoleBindings, which the other files' tests, on the shared one, rely on).
 */
const OVERLAYS = ['kubernetes', 'openshift'] as const;
const SECTION = sections(readFileSync(repoPath('docs/deploy.md'), 'utf8')).find(
  (s) => s.anchor === 'in-a-project-of-another-name',
);
if (!SECTION) throw new Error('docs/deploy.md has no section "In a project of another name"');
const OWN = load(/^```yaml\n([\s\S]*?)^```/m.exec(SECTION.text)?.[1] ?? '') as {
  namespace: string;
  resources: string[];
};
const PROJECT = OWN.namespace;

let plane: ControlPlane;
let work: string;

beforeAll(async () => {
  plane = await startControlPlane({ log: () => {} });
  work = mkdtempSync(join(tmpdir(), 'guitars-any-namespace-'));
  await plane.kubectlOk(['apply', '-f', repoPath('packages/deploy-tests/fixtures/openshift-crds.yaml')]);
  await plane.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
}, 180_000);

afterAll(async () => {
  await plane?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The docs' kustomization, its remote base swapped for this checkout's overlay (kustomize wants a relative path). */
function ownKustomization(overlay: (typeof OVERLAYS)[number]): string {
  const dir = join(work, overlay);
  mkdirSync(dir, { recursive: true });
  const resources = [relative(dir, repoPath('k8s/overlays', overlay))];
  writeFileSync(join(dir, 'kustomization.yaml'), dump({ ...OWN, resources }));
  return dir;
}

/** Where in an object a value says `needle`, as JSON paths. */
function pathsSaying(value: unknown, needle: string, path = ''): string[] {
  if (typeof value === 'string') return value.includes(needle) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => pathsSaying(v, needle, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => pathsSaying(v, needle, `${path}.${k}`));
  return [];
}

async function canI(user: string, attributes: Record<string, string>): Promise<boolean> {
  const review = await plane.kubectlOk(['create', '-o', 'json', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user,
        ...(user.startsWith('system:serviceaccount:') ? { groups: ['system:serviceaccounts'] } : {}),
        resourceAttributes: attributes,
      },
    }),
  });
  return (JSON.parse(review) as { status: { allowed: boolean } }).status.allowed;
}

const sa = (namespace: string, app: (typeof APPS)[number]) =>
  `system:serviceaccount:${namespace}:${APP_NAMES[app].serviceAccount}`;

/** The apps' rights, as the apiserver decides them, for ServiceAccounts of `namespace`. */
async function expectAppRights(namespace: string): Promise<void> {
  for (const app of APPS) {
    expect(
      await canI(sa(namespace, app), { group: 'kool.karmalabs.local', resource: 'guitars', verb: 'list' }),
      app,
    ).toBe(true);
  }
  const lease = { group: 'coordination.k8s.io', resource: 'leases', name: 'guitars-controller' };
  expect(await canI(sa(namespace, 'controller'), { ...lease, verb: 'update', namespace })).toBe(true);
  expect(await canI(sa(namespace, 'controller'), { ...lease, verb: 'create', namespace })).toBe(true);
  // guitarcenter's ServiceAccounts hold nothing here: the bindings name the new namespace's.
  expect(
    await canI(sa(NAMESPACE, 'controller'), {
      group: 'kool.karmalabs.local',
      resource: 'guitars',
      verb: 'list',
    }),
  ).toBe(false);
}

async function applied(kind: string, namespace: string): Promise<KubeObject[]> {
  return (
    JSON.parse(await plane.kubectlOk(['get', kind, '-n', namespace, '-o', 'json'])) as { items: KubeObject[] }
  ).items;
}

/** Each app's NetworkPolicy in `namespace` selects the pods of its Deployment there. */
async function expectPoliciesHold(namespace: string, deployments: V1Deployment[]): Promise<void> {
  const policies = await applied('networkpolicies', namespace);
  for (const app of APPS) {
    const policy = policies.find((p) => p.metadata.name === APP_NAMES[app].deployment);
    const selector = (policy?.spec as { podSelector: { matchLabels: Record<string, string> } } | undefined)
      ?.podSelector.matchLabels;
    const labels = deployments.find((d) => d.metadata?.name === APP_NAMES[app].deployment)?.spec?.template
      .metadata?.labels;
    expect(selector, `NetworkPolicy ${APP_NAMES[app].deployment} in ${namespace}`).toBeDefined();
    expect(labels).toMatchObject(selector ?? {});
  }
}

describe.each(OVERLAYS)(
  `a kustomization of one’s own over k8s/overlays/%s with namespace: ${PROJECT}`,
  (overlay) => {
    it('builds with nothing left saying guitarcenter, and every object and binding in the new namespace', async () => {
      expect(PROJECT).not.toBe(NAMESPACE);
      const objects = parseManifests(await plane.kubectlOk(['kustomize', ownKustomization(overlay)]));
      const left = objects.flatMap((o) =>
        pathsSaying(o, NAMESPACE).map((p) => `${o.kind}/${o.metadata.name}${p}`),
      );
      expect(left).toEqual([]);
      expect(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)).toEqual([PROJECT]);
      for (const o of objects.filter((o) => o.kind.endsWith('Binding'))) {
        for (const subject of o.subjects as Array<{ kind: string; namespace?: string }>)
          if (subject.kind === 'ServiceAccount') expect(subject.namespace, o.metadata.name).toBe(PROJECT);
      }
    });

    it('applies, and the apps’ rights, NetworkPolicies and sign-in follow the namespace', async () => {
      const output = await plane.kubectlOk(['apply', '--validate=strict', '-k', ownKustomization(overlay)]);
      expect(output).not.toMatch(/warning/i);
      const namespace = JSON.parse(
        await plane.kubectlOk(['get', 'namespace', PROJECT, '-o', 'json']),
      ) as KubeObject;
      expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
      await expectAppRights(PROJECT);
      const deployments = (await applied('deployments', PROJECT)) as unknown as V1Deployment[];
      expect(deployments).toHaveLength(APPS.length);
      await expectPoliciesHold(PROJECT, deployments);
      if (overlay !== 'openshift') return;

      const ui = deployments.find((d) => d.metadata?.name === APP_NAMES.ui.deployment);
      const proxy = ui?.spec?.template.spec?.containers.find((c) => c.name === 'oauth-proxy');
      if (!proxy) throw new Error('no oauth-proxy container');
      const flags = Object.fromEntries(
        expandedArgs(proxy, PROJECT).map((arg) => arg.replace(/^--/, '').split(/=(.*)/s).slice(0, 2)),
      ) as Record<string, string>;
      const sar = JSON.parse(flags['openshift-sar'] ?? '{}') as Record<string, string>;
      expect(sar.namespace).toBe(PROJECT);
      expect(flags.scope?.split(' ')).toContain(`role:guitars-user:${PROJECT}`);
      // The proxy's question, asked of the apiserver for a user bound to guitars-user in the new
      // namespace (docs/deploy.md's `oc adm policy add-role-to-group`): let in.
      await plane.kubectlOk([
        'create',
        'rolebinding',
        'guitar-team',
        '-n',
        PROJECT,
        '--clusterrole=guitars-user',
        '--user=alice',
      ]);
      const asked = {
        namespace: sar.namespace ?? '',
        group: sar.resourceAPIGroup ?? '',
        resource: sar.resource ?? '',
        verb: sar.verb ?? '',
      };
      expect(await canI('alice', asked)).toBe(true);
      expect(await canI('bob', asked)).toBe(false);

      // The OAuth client's redirect names the Route there; the images name no project.
      const serviceAccount = JSON.parse(
        await plane.kubectlOk(['get', 'serviceaccount', 'guitars-ui', '-n', PROJECT, '-o', 'json']),
      ) as KubeObject;
      const redirect = JSON.parse(
        serviceAccount.metadata.annotations?.[
          'serviceaccounts.openshift.io/oauth-redirectreference.primary'
        ] ?? '{}',
      ) as { reference: { kind: string; name: string } };
      await plane.kubectlOk(['get', redirect.reference.kind, redirect.reference.name, '-n', PROJECT]);
      for (const app of APPS) {
        const d = deployments.find((x) => x.metadata?.name === APP_NAMES[app].deployment);
        const image = d?.spec?.template.spec?.containers.find(
          (c) => c.name === APP_NAMES[app].container,
        )?.image;
        expect(image).toBe(`guitars-${app}:latest`);
        expect(
          d?.spec?.template.metadata?.annotations?.['alpha.image.policy.openshift.io/resolve-names'],
        ).toBe('*');
      }
    });
  },
);

describe('the oc new-app ways in a project of another name, by the docs’ commands', () => {
  it('binds the apps’ ServiceAccounts and holds their pods in that project', async () => {
    const script = /^```sh\n([\s\S]*?)^```/m.exec(SECTION.text)?.[1] ?? '';
    // A second name, so nothing of the kustomization's apply above can make this pass.
    const other = 'fretworks';
    expect(script).toMatch(/^PROJECT=/m);
    const kubectl = plane.info.kubectlPath;
    // oc is kubectl for apply; `oc new-project` is a namespace (a project's RBAC aside).
    const shim = `oc() { if [ "$1" = new-project ]; then "${kubectl}" create namespace "$2"; else "${kubectl}" "$@"; fi; }\nset -euo pipefail\n`;
    await promisify(execFile)('bash', ['-c', shim + script.replace(/^PROJECT=.*$/m, `PROJECT=${other}`)], {
      cwd: repoPath(),
      // HOME: kubectl's discovery cache goes there (the cwd, the repository, without one).
      env: { PATH: process.env.PATH ?? '', HOME: work, KUBECONFIG: plane.info.kubeconfigPath },
    });
    await expectAppRights(other);
    // oc new-app's Deployments carry the -l labels the NetworkPolicies select (deploy-docs.cluster.test.ts).
    const labels = (app: (typeof APPS)[number]) => ({
      metadata: { name: APP_NAMES[app].deployment },
      spec: { template: { metadata: { labels: { 'app.kubernetes.io/name': APP_NAMES[app].deployment } } } },
    });
    await expectPoliciesHold(other, APPS.map(labels) as unknown as V1Deployment[]);
  });
});
