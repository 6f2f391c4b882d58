import { connect, GROUP, PLURAL } from '@guitars/shared';
import { Cluster, freePort } from '@guitars/testenv';
import type { KubeConfig as Config } from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { prepareCluster, uiServiceAccountConfig } from '../test-support/ui.js';
import { decideNamespaceScope, inScope, watchedNamespace } from './namespace-scope.js';

const cluster = new Cluster(inject('testenv'));
const connections: Array<{ close(): void }> = [];
afterAll(() => {
  for (const kube of connections) kube.close();
});
/** The scope `kc`'s user gets, asked through the door as start.ts asks it. */
const scopeOf = (kc: Config, own: string) => {
  const kube = connect(kc);
  connections.push(kube);
  return decideNamespaceScope(kube.accessReviews, own);
};

describe('decideNamespaceScope', () => {
  beforeAll(async () => {
    await prepareCluster(cluster);
  });

  it('is cluster-wide for the UI ServiceAccount with k8s/base/ui-rbac.yaml', async () => {
    expect(await scopeOf(await uiServiceAccountConfig(cluster), 'guitarcenter')).toEqual({
      clusterWide: true,
    });
  });

  it('falls back to its own namespace, saying what is refused', async () => {
    const ns = await cluster.createNamespace('scope');
    await cluster.ensureServiceAccount(ns, 'lister');
    // May list, not watch, everywhere: still not enough for a cluster-wide cache.
    await cluster.kubectlOk([
      'create',
      'clusterrole',
      `list-guitars-${ns}`,
      '--verb=list',
      `--resource=${PLURAL}.${GROUP}`,
    ]);
    await cluster.kubectlOk([
      'create',
      'clusterrolebinding',
      `list-guitars-${ns}`,
      `--clusterrole=list-guitars-${ns}`,
      `--serviceaccount=${ns}:lister`,
    ]);
    const { kc } = await cluster.kubeconfigFor(ns, 'lister');
    expect(await scopeOf(kc, ns)).toEqual({
      clusterWide: false,
      namespace: ns,
      reason: 'the UI may not watch guitars in all namespaces',
    });
  });

  it('throws when the cluster cannot be reached, for the caller to retry', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `https://127.0.0.1:${await freePort()}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    await expect(scopeOf(kc, 'guitarcenter')).rejects.toThrow();
  });
});

describe('scope helpers', () => {
  it('say which namespace to watch and what is cached', () => {
    const own = { clusterWide: false, namespace: 'a', reason: 'r' } as const;
    expect(watchedNamespace({ clusterWide: true })).toBeUndefined();
    expect(watchedNamespace(own)).toBe('a');
    expect(inScope({ clusterWide: true }, 'b')).toBe(true);
    expect(inScope(own, 'a')).toBe(true);
    expect(inScope(own, 'b')).toBe(false);
    expect(inScope(undefined, 'a')).toBe(false);
  });
});
