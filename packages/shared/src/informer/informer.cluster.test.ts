import { Cluster, type ControlPlane, startControlPlane, waitFor } from '@guitars/testenv';
import { CustomObjectsApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../guitar/guitar.js';
import { apiStatus, connect, ensureGuitarCrd, type Kube } from '../kube/index.js';
import { TcpProxy, viaProxy } from '../test-support/tcp-proxy.js';
import { Informer, type InformerOptions } from './informer.js';

/** Creates, changes and deletes guitars in a namespace, through client-node as any other client would. */
function guitars(kc: KubeConfig, namespace: string) {
  const api = kc.makeApiClient(CustomObjectsApi);
  const at = { group: GROUP, version: VERSION, plural: PLURAL, namespace };
  return {
    create: (name: string, brand = 'fender') =>
      api.createNamespacedCustomObject({
        ...at,
        body: { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec: { brand } },
      }),
    setBrand: (name: string, brand: string) =>
      api.patchNamespacedCustomObject({
        ...at,
        name,
        body: [{ op: 'replace', path: '/spec/brand', value: brand }],
      }),
    remove: (name: string) => api.deleteNamespacedCustomObject({ ...at, name }),
  };
}

const connections: Kube[] = [];
afterAll(() => {
  for (const kube of connections) kube.close();
});

/** An informer of one namespace's guitars as `kc`'s user, over a connection of its own (as an app's). */
function informerOf(kc: KubeConfig, namespace: string, options: InformerOptions = {}): Informer {
  const kube = connect(kc);
  connections.push(kube);
  return new Informer(kube.guitars.select({ namespace }), options);
}

/** What an informer told its handlers, in order, as "event name" (and the brands of an update). */
function record(informer: Informer) {
  const seen = {
    events: [] as string[],
    errors: [] as Array<{ status: number | undefined; retryInMs: number }>,
    relists: [] as number[],
    syncs: [] as boolean[],
    /** hasSynced() as each add handler ran. */
    syncedAtAdd: [] as boolean[],
  };
  const brand = (obj: KubernetesObject | undefined) =>
    (obj as { spec?: { brand?: string } } | undefined)?.spec?.brand;
  informer.on('add', (obj) => {
    seen.events.push(`add ${obj.metadata?.name}`);
    seen.syncedAtAdd.push(informer.hasSynced());
  });
  informer.on('update', (obj, old) =>
    seen.events.push(`update ${obj.metadata?.name} ${brand(old)}->${brand(obj)}`),
  );
  informer.on('delete', (obj) => seen.events.push(`delete ${obj.metadata?.name}`));
  informer.onError((err, retryInMs) => seen.errors.push({ status: apiStatus(err), retryInMs }));
  informer.onRelist((n) => seen.relists.push(n));
  informer.onSyncChange((synced) => seen.syncs.push(synced));
  return seen;
}

const names = (informer: Informer, namespace: string) =>
  informer
    .list(namespace)
    .map((o) => o.metadata?.name)
    .sort();

describe('Informer of guitars against the shared cluster', () => {
  const cluster = new Cluster(inject('testenv'));
  const kc = cluster.adminConfig();
  beforeAll(() => ensureGuitarCrd(kc));

  /** A fresh namespace and a kubeconfig of a ServiceAccount there that may do nothing yet. */
  async function withoutRights(prefix: string, serviceAccount: string) {
    const namespace = await cluster.createNamespace(prefix);
    await cluster.ensureServiceAccount(namespace, serviceAccount);
    return { namespace, kc: (await cluster.kubeconfigFor(namespace, serviceAccount)).kc };
  }

  it('lists in pages, caches every guitar once, and is synced only after the whole list', async () => {
    const namespace = await cluster.createNamespace('informer-pages');
    const { create } = guitars(kc, namespace);
    const before = Array.from({ length: 7 }, (_, i) => `page-${i}`);
    for (const name of before) await create(name);
    const informer = informerOf(kc, namespace, { pageSize: 3 });
    const seen = record(informer);
    try {
      expect(informer.hasSynced()).toBe(false);
      await informer.start();
      expect(informer.hasSynced()).toBe(true);
      expect([...seen.events].sort()).toEqual(before.map((n) => `add ${n}`));
      expect(seen.syncedAtAdd).toEqual(before.map(() => false));
      expect(names(informer, namespace)).toEqual(before);
      expect(informer.list('elsewhere')).toEqual([]);
      expect(informer.get(namespace, 'page-0')?.metadata?.managedFields).toBeUndefined();
      await create('after-list');
      await waitFor('the watch to deliver it', async () => seen.events.includes('add after-list'), 10_000);
      expect(seen.events).toHaveLength(8);
      expect(seen.syncs).toEqual([true]);
    } finally {
      await informer.stop();
    }
  });

  it('follows adds, updates (with the object replaced) and deletes, trimmed', async () => {
    const namespace = await cluster.createNamespace('informer-watch');
    const { create, setBrand, remove } = guitars(kc, namespace);
    const informer = informerOf(kc, namespace);
    const seen = record(informer);
    try {
      await informer.start();
      await create('strat', 'fender');
      await waitFor('the add', async () => informer.get(namespace, 'strat') !== undefined, 10_000);
      await setBrand('strat', 'squier');
      await waitFor('the update', async () => seen.events.length >= 2, 10_000);
      expect(informer.get(namespace, 'strat')?.metadata?.managedFields).toBeUndefined();
      await remove('strat');
      await waitFor('the delete', async () => seen.events.length >= 3, 10_000);
      expect(seen.events).toEqual(['add strat', 'update strat fender->squier', 'delete strat']);
      expect(informer.get(namespace, 'strat')).toBeUndefined();
      expect(informer.list()).toEqual([]);
      expect(seen.errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it('reports a 403 with backoff, and syncs once it is granted the rights', async () => {
    const { namespace, kc: readerKc } = await withoutRights('informer-403', 'reader');
    await guitars(kc, namespace).create('visible');
    const informer = informerOf(readerKc, namespace, { minBackoffMs: 200, maxBackoffMs: 1000 });
    const seen = record(informer);
    try {
      const starting = informer.start();
      await waitFor('three refusals', async () => seen.errors.length >= 3, 30_000);
      expect(informer.hasSynced()).toBe(false);
      expect(seen.errors.slice(0, 3).map((e) => e.status)).toEqual([403, 403, 403]);
      // Doubling from 200 ms, each wait spread by up to as much again, never past 1 s.
      const [first, second, third] = seen.errors.map((e) => e.retryInMs);
      expect(first).toBeGreaterThanOrEqual(200);
      expect(first).toBeLessThanOrEqual(400);
      expect(second).toBeGreaterThanOrEqual(400);
      expect(second).toBeLessThanOrEqual(800);
      expect(third).toBeGreaterThanOrEqual(500);
      expect(third).toBeLessThanOrEqual(1000);

      await cluster.grantRole(
        namespace,
        'guitar-reader',
        [{ apiGroups: [GROUP], resources: [PLURAL], verbs: ['list', 'watch'] }],
        { namespace, name: 'reader' },
      );
      await starting;
      expect(informer.hasSynced()).toBe(true);
      expect(names(informer, namespace)).toEqual(['visible']);
      expect(seen.errors.every((e) => e.status === 403)).toBe(true);
    } finally {
      await informer.stop();
    }
  });

  it('stops during a backoff at once, and resolves start()', async () => {
    const { namespace, kc: nobodyKc } = await withoutRights('informer-stop', 'nobody');
    // A first wait of a minute or two: a stop that waited it out would fail the test's timeout.
    const informer = informerOf(nobodyKc, namespace, { minBackoffMs: 60_000, maxBackoffMs: 120_000 });
    const seen = record(informer);
    const starting = informer.start();
    await waitFor('a refusal', async () => seen.errors.length === 1, 20_000);
    expect(seen.errors[0]?.retryInMs).toBeGreaterThanOrEqual(60_000);
    const stoppedAt = Date.now();
    await informer.stop();
    await starting;
    expect(Date.now() - stoppedAt).toBeLessThan(30_000);
    expect(informer.hasSynced()).toBe(false);
    expect(seen.errors).toHaveLength(1);
    expect(seen.syncs).toEqual([]);
  });
});

describe('Informer of guitars against faults', () => {
  // A control plane of this block's own: these tests stop, restart and compact it.
  let plane: ControlPlane;
  let proxy: TcpProxy;
  beforeAll(async () => {
    plane = await startControlPlane({ log: () => {} });
    await ensureGuitarCrd(plane.adminConfig());
    const { hostname, port } = new URL(plane.info.server);
    proxy = await TcpProxy.start({ host: hostname, port: Number(port) });
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await plane?.stop();
  });

  /** An informer of one namespace, through the proxy. */
  function informerFor(namespace: string, options: InformerOptions = {}) {
    proxy.mode = 'forward';
    const informer = informerOf(viaProxy(plane.adminConfig(), proxy), namespace, options);
    return { informer, seen: record(informer) };
  }

  /** A namespace with 'before-start' and 'doomed', and an informer of it quick to retry. */
  async function twoGuitarsAndAnInformer(prefix: string) {
    const namespace = await plane.createNamespace(prefix);
    const writes = guitars(plane.adminConfig(), namespace);
    await writes.create('before-start');
    await writes.create('doomed');
    return { namespace, ...writes, ...informerFor(namespace, { minBackoffMs: 100, maxBackoffMs: 1000 }) };
  }

  it('resumes its watch after a lost connection, with backoff: no relist, no event lost', async () => {
    const { namespace, create, remove, informer, seen } = await twoGuitarsAndAnInformer('cut');
    try {
      await informer.start();
      proxy.mode = 'refuse';
      proxy.cut();
      await waitFor('two failures', async () => seen.errors.length >= 2, 20_000);
      expect(informer.hasSynced()).toBe(false);
      expect(seen.errors[0]?.status).toBeUndefined();
      expect(seen.errors[1]?.retryInMs).toBeGreaterThanOrEqual(200);
      // Changes made while the informer cannot watch reach it when it resumes from its version.
      await create('while-away');
      await remove('doomed');
      proxy.mode = 'forward';
      await waitFor('the informer to resync', async () => informer.hasSynced(), 30_000);
      await waitFor(
        'the changes to arrive',
        async () => seen.events.includes('add while-away') && seen.events.includes('delete doomed'),
        10_000,
      );
      expect(seen.relists).toEqual([]);
      expect(seen.events).toEqual(['add before-start', 'add doomed', 'add while-away', 'delete doomed']);
      expect(seen.syncs).toEqual([true, false, true]);
      expect(names(informer, namespace)).toEqual(['before-start', 'while-away']);
    } finally {
      await informer.stop();
    }
  });

  it('waits out an apiserver restart with backoff, and loses no change made meanwhile', async () => {
    const { namespace, create, remove, informer, seen } = await twoGuitarsAndAnInformer('restart');
    try {
      await informer.start();
      await create('while-watching');
      await waitFor(
        'the watch to deliver it',
        async () => seen.events.includes('add while-watching'),
        10_000,
      );

      await plane.stopApiserver();
      await waitFor('the informer to notice', async () => !informer.hasSynced(), 20_000);
      await waitFor('a failure reported', async () => seen.errors.length > 0, 20_000);
      expect(seen.errors[0]?.retryInMs).toBeGreaterThan(0);

      await plane.startApiserver();
      await create('after-restart');
      await remove('doomed');
      await waitFor('the informer to resync', async () => informer.hasSynced(), 30_000);
      await waitFor(
        'the changes to arrive',
        async () => seen.events.includes('add after-restart') && seen.events.includes('delete doomed'),
        30_000,
      );
      // A restarted apiserver's watch cache starts after the informer's version (measured: it
      // answers 410 Gone), so the informer relists, once, rather than resuming.
      expect(seen.relists).toHaveLength(1);
      expect(seen.events.filter((e) => e === 'add before-start')).toHaveLength(1);
      expect(seen.syncs).toEqual([true, false, true]);
      expect(names(informer, namespace)).toEqual(['after-restart', 'before-start', 'while-watching']);
    } finally {
      await informer.stop();
    }
  });

  it('relists after its version was compacted away (410 Gone), deleting what went meanwhile', async () => {
    const kc = plane.adminConfig();
    const namespace = await plane.createNamespace('gone');
    const { create, remove, setBrand } = guitars(kc, namespace);
    for (const name of ['kept', 'changed', 'doomed']) await create(name);
    const { informer, seen } = informerFor(namespace, { minBackoffMs: 100, maxBackoffMs: 1000 });
    try {
      await informer.start();
      // Cut the informer off, change things, restart the apiserver (its watch cache then starts
      // after the informer's version) and compact etcd: resuming from that version is impossible.
      proxy.mode = 'refuse';
      proxy.cut();
      await waitFor('the informer to notice', async () => !informer.hasSynced(), 20_000);
      await remove('doomed');
      await setBrand('changed', 'gibson');
      await create('new');
      await plane.restartApiserver();
      await plane.compactEtcd();
      const errorsBefore = seen.errors.length;
      proxy.mode = 'forward';

      await waitFor('a relist', async () => seen.relists.length === 1, 30_000);
      await waitFor('in sync again', async () => informer.hasSynced(), 30_000);
      expect(seen.relists).toEqual([3]);
      const after = seen.events.slice(3);
      expect([...after].sort()).toEqual(['add new', 'delete doomed', 'update changed fender->gibson']);
      expect(names(informer, namespace)).toEqual(['changed', 'kept', 'new']);
      // The 410 is no failure (the restarted apiserver may still answer 429 while it starts).
      expect(seen.errors.slice(errorsBefore).filter((e) => e.status === 410)).toEqual([]);
      await create('after-relist');
      await waitFor(
        'the watch after the relist',
        async () => seen.events.includes('add after-relist'),
        10_000,
      );
    } finally {
      await informer.stop();
    }
  });

  it('gives up a watch gone silent and watches again from its version, still in sync', async () => {
    const kc = plane.adminConfig();
    const namespace = await plane.createNamespace('silent');
    const { create } = guitars(kc, namespace);
    const { informer, seen } = informerFor(namespace);
    try {
      await informer.start();
      const accepted = proxy.accepted;
      // The connection stays open but carries nothing more, as behind a dead NAT entry.
      proxy.silence();
      await create('while-silent');
      // KubeHttp gives a silent watch up after 30 s; the new watch starts from the old version.
      await waitFor('a new connection', async () => proxy.accepted > accepted, 60_000);
      await waitFor('the missed guitar', async () => seen.events.includes('add while-silent'), 20_000);
      expect(seen.relists).toEqual([]);
      expect(seen.errors).toEqual([]);
      expect(seen.syncs).toEqual([true]);
      expect(informer.hasSynced()).toBe(true);
    } finally {
      await informer.stop();
    }
  }, 120_000);

  it('stops during a list that gets no answer, and reports nothing after', async () => {
    const namespace = await plane.createNamespace('stop-list');
    await guitars(plane.adminConfig(), namespace).create('never-seen');
    const { informer, seen } = informerFor(namespace);
    proxy.mode = 'hold';
    const accepted = proxy.accepted;
    const starting = informer.start();
    await waitFor('the list to be on its way', async () => proxy.accepted > accepted, 10_000);
    await informer.stop();
    await starting;
    // The stop failed the list in flight (and the cut would have): nobody is told.
    expect(proxy.held).toBe(1);
    proxy.cut();
    await waitFor('the held connection closed', async () => proxy.held === 0, 10_000);
    expect(seen.errors).toEqual([]);
    expect(seen.events).toEqual([]);
    expect(informer.hasSynced()).toBe(false);
    expect(informer.list()).toEqual([]);
  });
});
