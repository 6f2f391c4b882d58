import { Cluster } from '@guitars/testenv';
import { HttpMethod, KubeConfig, RequestContext, VersionApi } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { PooledKubeConfig } from './pooled-kube-config.js';

const cluster = new Cluster(inject('testenv'));

async function dispatcherOf(kc: KubeConfig): Promise<unknown> {
  const context = new RequestContext(`${kc.getCurrentCluster()?.server}/version`, HttpMethod.GET);
  await kc.applySecurityAuthentication(context);
  return context.getDispatcher();
}

describe('PooledKubeConfig', () => {
  it('gives every request the same connection pool, where client-node makes one per request', async () => {
    const plain = new KubeConfig();
    plain.loadFromFile(cluster.info.kubeconfigPath);
    // The upstream behaviour this class exists for; if client-node starts pooling, drop the class.
    expect(await dispatcherOf(plain)).not.toBe(await dispatcherOf(plain));

    const pooled = new PooledKubeConfig();
    pooled.loadFromFile(cluster.info.kubeconfigPath);
    const first = await dispatcherOf(pooled);
    expect(first).toBeDefined();
    expect(await dispatcherOf(pooled)).toBe(first);
    expect(pooled.pools()).toBe(1);
  });

  it('reaches the apiserver again and again over the pool', async () => {
    const kc = new PooledKubeConfig();
    kc.loadFromFile(cluster.info.kubeconfigPath);
    const api = kc.makeApiClient(VersionApi);
    for (let i = 0; i < 3; i++) expect((await api.getCode()).gitVersion).toMatch(/^v1\./);
    expect(kc.pools()).toBe(1);
  });
});
