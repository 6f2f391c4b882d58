import { Cluster } from '@guitars/testenv';
import {
  ApiextensionsV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1ResourceRule,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyAppPrerequisites, applyWithRetry } from './kube.js';
import { NAMESPACE, repoPath } from './repo.js';

/**
 * The ServiceAccounts of k8s/base act here with tokens for themselves, bound by the RBAC of
 * k8s/base and nothing else: what each app may do is exactly what it needs.
 */
const cluster = new Cluster(inject('testenv'));
const GROUP = 'kool.karmalabs.local';
const CRD = 'guitars.kool.karmalabs.local';

let ui: KubeConfig;
let controller: KubeConfig;
let shop: string;

beforeAll(async () => {
  await applyAppPrerequisites(cluster);
  ui = (await cluster.kubeconfigFor(NAMESPACE, 'guitars-ui')).kc;
  controller = (await cluster.kubeconfigFor(NAMESPACE, 'guitars-controller')).kc;
  // Guitars live in any namespace; a fresh one shows the rights are cluster-wide where they should be.
  shop = await cluster.createNamespace('shop');
});

/** `kubectl auth can-i` as the ServiceAccount (impersonated by the admin). */
async function canI(
  sa: string,
  verb: string,
  resource: string,
  namespace: string | undefined,
  name?: string,
) {
  const args = ['auth', 'can-i', verb, name ? `${resource}/${name}` : resource];
  args.push(namespace ? `--namespace=${namespace}` : '--all-namespaces');
  const result = await cluster.kubectl([...args, `--as=system:serviceaccount:${NAMESPACE}:${sa}`]);
  return result.stdout.trim() === 'yes';
}

/**
 * Every resource rule the ServiceAccount holds in a namespace, as the apiserver resolves them
 * (SelfSubjectRulesReview), minus those every authenticated user has (system:basic-user and
 * friends: reviews about oneself).
 */
async function rulesOf(kc: KubeConfig, namespace: string): Promise<string[]> {
  const review = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectRulesReview({
    body: { spec: { namespace } },
  });
  const everyone = new Set(['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'selfsubjectreviews']);
  return (review.status?.resourceRules ?? [])
    .filter((r: V1ResourceRule) => !(r.resources ?? []).every((res) => everyone.has(res)))
    .flatMap((r: V1ResourceRule) =>
      (r.resources ?? []).flatMap((res) =>
        [...r.verbs].sort().map((verb) => {
          const group = (r.apiGroups ?? [''])[0] || 'core';
          const names = r.resourceNames?.length ? `/${[...r.resourceNames].sort().join(',')}` : '';
          return `${verb} ${group}/${res}${names}`;
        }),
      ),
    )
    .sort();
}

describe('the UI ServiceAccount', () => {
  it('holds exactly get, list, watch, create and delete on guitars, in every namespace', async () => {
    const expected = ['create', 'delete', 'get', 'list', 'watch'].map((v) => `${v} ${GROUP}/guitars`);
    expect(await rulesOf(ui, NAMESPACE)).toEqual(expected);
    expect(await rulesOf(ui, shop)).toEqual(expected);
  });

  it('cannot patch or update guitars (their reviews), nor read or touch CRDs', async () => {
    const sa = 'guitars-ui';
    expect(await canI(sa, 'list', 'guitars', undefined)).toBe(true);
    expect(await canI(sa, 'patch', 'guitars', shop)).toBe(false);
    expect(await canI(sa, 'update', 'guitars', shop)).toBe(false);
    for (const verb of ['get', 'list', 'create', 'update', 'patch', 'delete']) {
      expect(await canI(sa, verb, 'customresourcedefinitions', undefined), `${verb} CRDs`).toBe(false);
    }
  });

  it('creates and deletes a guitar for real, and is refused a patch of its review and the CRD', async () => {
    const api = ui.makeApiClient(CustomObjectsApi);
    const guitar = {
      apiVersion: `${GROUP}/v1`,
      kind: 'Guitar',
      metadata: { name: 'ui-made' },
      spec: { brand: 'fender' },
    };
    await api.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace: shop,
      plural: 'guitars',
      body: guitar,
    });

    const patch = api.patchNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace: shop,
      plural: 'guitars',
      name: 'ui-made',
      body: [{ op: 'replace', path: '/spec/review', value: true }],
    });
    await expect(patch).rejects.toMatchObject({ code: 403 });
    await expect(
      ui.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: CRD }),
    ).rejects.toMatchObject({ code: 403 });

    await api.deleteNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace: shop,
      plural: 'guitars',
      name: 'ui-made',
    });
  });
});

describe('the controller ServiceAccount', () => {
  it('holds exactly what it uses: guitars to review, events to write, its own Lease', async () => {
    const everywhere = [
      ...['get', 'list', 'patch', 'watch'].map((v) => `${v} ${GROUP}/guitars`),
      'create core/events',
      'patch core/events',
    ];
    expect(await rulesOf(controller, shop)).toEqual(everywhere.sort());
    expect(await rulesOf(controller, NAMESPACE)).toEqual(
      [
        ...everywhere,
        'create coordination.k8s.io/leases',
        'get coordination.k8s.io/leases/guitars-controller',
        'update coordination.k8s.io/leases/guitars-controller',
      ].sort(),
    );
  });

  it('cannot delete or create guitars, take another Lease, or install CRDs', async () => {
    const sa = 'guitars-controller';
    expect(await canI(sa, 'patch', 'guitars', shop)).toBe(true);
    expect(await canI(sa, 'delete', 'guitars', shop)).toBe(false);
    expect(await canI(sa, 'create', 'guitars', shop)).toBe(false);
    expect(await canI(sa, 'update', 'leases', NAMESPACE, 'someone-else')).toBe(false);
    expect(await canI(sa, 'create', 'leases', shop)).toBe(false);
    expect(await canI(sa, 'create', 'customresourcedefinitions', undefined)).toBe(false);
  });

  it('patches a guitar for real, and is refused its deletion and a Lease elsewhere', async () => {
    await cluster.kubectlOk(['apply', '-n', shop, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: `${GROUP}/v1`,
        kind: 'Guitar',
        metadata: { name: 'to-review' },
        spec: { brand: 'gibson' },
      }),
    });
    const api = controller.makeApiClient(CustomObjectsApi);
    const target = { group: GROUP, version: 'v1', namespace: shop, plural: 'guitars', name: 'to-review' };
    await api.patchNamespacedCustomObject({
      ...target,
      body: [{ op: 'replace', path: '/spec/review', value: true }],
    });
    await expect(api.deleteNamespacedCustomObject(target)).rejects.toMatchObject({ code: 403 });
    const lease = controller.makeApiClient(CoordinationV1Api).createNamespacedLease({
      namespace: shop,
      body: { metadata: { name: 'guitars-controller' }, spec: {} },
    });
    await expect(lease).rejects.toMatchObject({ code: 403 });
  });

  describe('with the optional CRD installer role (controller-crd-installer-rbac.yaml)', () => {
    const installer = repoPath('k8s/base/controller-crd-installer-rbac.yaml');
    beforeAll(async () => {
      await applyWithRetry(cluster, ['-f', installer]);
    });
    afterAll(async () => {
      // Back to the shipped rights for any test that follows.
      await cluster.kubectlOk(['delete', '--ignore-not-found', '-f', installer]);
    });

    it('may create CRDs (RBAC cannot narrow create to a name) but read and update only the Guitar CRD', async () => {
      const sa = 'guitars-controller';
      expect(await canI(sa, 'create', 'customresourcedefinitions', undefined)).toBe(true);
      expect(await canI(sa, 'get', 'customresourcedefinitions', undefined, CRD)).toBe(true);
      expect(await canI(sa, 'update', 'customresourcedefinitions', undefined, CRD)).toBe(true);
      expect(
        await canI(sa, 'update', 'customresourcedefinitions', undefined, 'routes.route.openshift.io'),
      ).toBe(false);
      expect(await canI(sa, 'delete', 'customresourcedefinitions', undefined, CRD)).toBe(false);
      expect(await canI(sa, 'list', 'customresourcedefinitions', undefined)).toBe(false);
    });
  });
});
