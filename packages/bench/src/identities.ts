import { fileURLToPath } from 'node:url';
import { loadKubeConfig } from '@guitars/shared';
import type { Cluster } from '@guitars/testenv';
import type { KubeConfig } from '@kubernetes/client-node';

/** Where the apps' production ServiceAccounts and RBAC live (k8s/base). */
const NAMESPACE = 'guitarcenter';
const base = (file: string) => fileURLToPath(new URL(`../../../k8s/base/${file}`, import.meta.url));

export type App = 'controller' | 'ui';
const SERVICE_ACCOUNT: Record<App, string> = { controller: 'guitars-controller', ui: 'guitars-ui' };
const RBAC: Record<App, string> = { controller: 'controller-rbac.yaml', ui: 'ui-rbac.yaml' };

const applied = new WeakMap<Cluster, Promise<void>>();

/**
 * An app's production identity: its ServiceAccount with the RBAC of k8s/base, never cluster-admin,
 * as a kubeconfig file (a fresh bound token each time, so a long benchmark never outlives one)
 * and a client. The benchmark runs the apps as their pods do, and the bare-client ceiling patches
 * as the controller's ServiceAccount, so that both pay the same authentication and authorization.
 */
export async function appIdentity(plane: Cluster, app: App): Promise<{ path: string; kc: KubeConfig }> {
  let rbac = applied.get(plane);
  if (!rbac) {
    rbac = (async () => {
      for (const file of ['namespace.yaml', RBAC.controller, RBAC.ui])
        await plane.kubectlOk(['apply', '-f', base(file)]);
    })();
    applied.set(plane, rbac);
  }
  await rbac;
  const { path } = await plane.kubeconfigFor(NAMESPACE, SERVICE_ACCOUNT[app]);
  // The apps' client factory, so the benchmark's own client for this identity pools connections too.
  return { path, kc: loadKubeConfig({ env: { KUBECONFIG: path } }).kc };
}
