import type { Cluster } from '@guitars/testenv';
import { applyWithRetry, find, type KubeObject } from '../kube.js';
import { NAMESPACE, repoPath } from '../repo.js';
import type { TestUser } from './oauth-server.js';

const RBAC = 'rbac.authorization.k8s.io';
const GROUP = 'kool.karmalabs.local';

/** The Route CRD of OpenShift, strict (the fixture's schema), for the overlay's Route. */
export async function applyRouteCrd(cluster: Cluster): Promise<void> {
  await applyWithRetry(cluster, ['-f', repoPath('packages/deploy-tests/fixtures/openshift-crds.yaml')]);
  await cluster.kubectlOk([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/routes.route.openshift.io',
  ]);
}

/**
 * What an OpenShift cluster would hold for the overlay's sign-in: the overlay's Route, the
 * ServiceAccount with its redirect reference (the OAuth client) and the guitars-user ClusterRole,
 * applied as `oc apply -k` would (other test files apply the same objects: the same last-applied
 * content keeps their applies quiet), then the host OpenShift would give the Route, by a patch
 * (outside last-applied, so their next apply leaves it). k8s/base's ServiceAccount, applied by
 * other files meanwhile, drops the redirect reference: call this again right before a sign-in.
 */
export async function applySignInObjects(cluster: Cluster, objects: KubeObject[], routeHost: string) {
  const route = find(objects, 'Route', 'guitars-ui');
  const input = JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      route,
      find(objects, 'ServiceAccount', 'guitars-ui'),
      find(objects, 'ClusterRole', 'guitars-user'),
    ],
  });
  await applyWithRetry(cluster, ['-f', '-'], input);
  const patch = JSON.stringify({ spec: { host: routeHost } });
  await cluster.kubectlOk([
    'patch',
    'route',
    route.metadata.name,
    '-n',
    NAMESPACE,
    '--type=merge',
    '-p',
    patch,
  ]);
  const withHost = structuredClone(route);
  (withHost.spec as { host?: string }).host = routeHost;
  return withHost;
}

/**
 * People of the test, each a ServiceAccount of `people` (the stand-in gives out its tokens when they
 * sign in): `manager` is bound to guitars-user in the overlay's namespace, as docs/deploy.md
 * tells an admin to bind a team; `viewer` may only get, list and watch guitars there.
 */
export async function makePeople(cluster: Cluster, people: string) {
  const users: Record<'manager' | 'viewer', TestUser & { name: string }> = {
    manager: { namespace: people, serviceAccount: 'ada', name: `system:serviceaccount:${people}:ada` },
    viewer: { namespace: people, serviceAccount: 'lin', name: `system:serviceaccount:${people}:lin` },
  };
  for (const user of Object.values(users)) await cluster.ensureServiceAccount(people, user.serviceAccount);
  const subject = (user: TestUser) => [
    { kind: 'ServiceAccount', namespace: user.namespace, name: user.serviceAccount },
  ];
  const items = [
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'RoleBinding',
      metadata: { name: `${people}-manager`, namespace: NAMESPACE },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'guitars-user' },
      subjects: subject(users.manager),
    },
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'Role',
      metadata: { name: `${people}-viewer`, namespace: NAMESPACE },
      rules: [{ apiGroups: [GROUP], resources: ['guitars'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'RoleBinding',
      metadata: { name: `${people}-viewer`, namespace: NAMESPACE },
      roleRef: { apiGroup: RBAC, kind: 'Role', name: `${people}-viewer` },
      subjects: subject(users.viewer),
    },
  ];
  await applyWithRetry(cluster, ['-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  return users;
}
