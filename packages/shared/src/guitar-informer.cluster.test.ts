import { Cluster, startControlPlane, waitFor } from '@guitars/testenv';
import { CustomObjectsApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from './guitar.js';
import { GuitarInformer } from './guitar-informer.js';
import { ensureGuitarCrd } from './kube/index.js';

/** Creates guitars of one brand in a namespace, through client-node as any other client would. */
function guitarCreator(kc: KubeConfig, namespace: string, brand: string) {
  const api = kc.makeApiClient(CustomObjectsApi);
  return (name: string) =>
    api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace,
      body: { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec: { brand } },
    });
}

describe('GuitarInformer', () => {
  it('syncs, follows changes, and comes back in sync after the apiserver was down', async () => {
    const plane = await startControlPlane({ log: () => {} });
    const informer = new GuitarInformer(plane.adminConfig(), { minBackoffMs: 100, maxBackoffMs: 1000 });
    try {
      const kc = plane.adminConfig();
      await ensureGuitarCrd(kc);
      const namespace = await plane.createNamespace('informer');
      const create = guitarCreator(kc, namespace, 'fender');
      await create('before-start');

      const added: string[] = [];
      const syncChanges: boolean[] = [];
      const errors: unknown[] = [];
      informer.on('add', (obj: KubernetesObject) => added.push(obj.metadata?.name ?? ''));
      informer.onSyncChange((synced) => syncChanges.push(synced));
      informer.onError((err) => errors.push(err));

      await informer.start();
      expect(informer.hasSynced()).toBe(true);
      expect(informer.get(namespace, 'before-start')).toBeDefined();
      // Listed objects are cached without managedFields, which the apiserver always sends.
      expect(informer.get(namespace, 'before-start')?.metadata?.managedFields).toBeUndefined();

      await create('while-watching');
      await waitFor(
        'the watch to deliver a new guitar',
        async () => added.includes('while-watching'),
        10_000,
      );
      // So are watched ones.
      expect(informer.get(namespace, 'while-watching')?.metadata?.managedFields).toBeUndefined();

      await plane.stopApiserver();
      await waitFor('the informer to notice', async () => !informer.hasSynced(), 20_000);
      expect(errors.length).toBeGreaterThan(0);

      await plane.startApiserver();
      await waitFor('the informer to resync', async () => informer.hasSynced(), 30_000);
      await create('after-restart');
      await waitFor('the watch to resume', async () => added.includes('after-restart'), 10_000);

      expect(added.filter((n) => n === 'before-start')).toHaveLength(1);
      expect(syncChanges).toEqual([true, false, true]);
      expect(
        informer
          .list()
          .map((o) => o.metadata?.name)
          .sort(),
      ).toEqual(['after-restart', 'before-start', 'while-watching']);
    } finally {
      await informer.stop();
      await plane.stop();
    }
  });

  it('lists in pages, every guitar once, and watches on from the list', async () => {
    const cluster = new Cluster(inject('testenv'));
    const kc = cluster.adminConfig();
    await ensureGuitarCrd(kc);
    const namespace = await cluster.createNamespace('informer-pages');
    const create = guitarCreator(kc, namespace, 'gibson');
    const before = Array.from({ length: 7 }, (_, i) => `page-${i}`);
    for (const name of before) await create(name);
    const informer = new GuitarInformer(kc, { namespace, pageSize: 3 });
    const added: string[] = [];
    informer.on('add', (obj: KubernetesObject) => added.push(obj.metadata?.name ?? ''));
    try {
      await informer.start();
      expect([...added].sort()).toEqual(before);
      await create('after-list');
      await waitFor('the watch to deliver it', async () => added.includes('after-list'), 10_000);
      expect(added).toHaveLength(8);
    } finally {
      await informer.stop();
    }
  });
});
