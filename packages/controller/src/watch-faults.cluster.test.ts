import { ensureGuitarCrd, GROUP, type GuitarList, PLURAL, VERSION } from '@guitars/shared';
import { type ControlPlane, startControlPlane, waitFor } from '@guitars/testenv';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControllerProcess } from './test-support/controller-process.js';
import { expectEachReviewedOnce } from './test-support/faults.js';
import { createGuitars, listGuitars, manyGuitars, waitAllReviewed } from './test-support/guitars.js';

const BRANDS = ['fender', 'Epiphone', 'martin', 'YAMAHA', 'acme', 'gibson '];

// A control plane of this file's own: these tests stop, restart and compact it.
let plane: ControlPlane;
let running: ControllerProcess[] = [];

beforeAll(async () => {
  plane = await startControlPlane({ log: () => {} });
  await ensureGuitarCrd(plane.adminConfig());
}, 60_000);
afterAll(() => plane?.stop());
afterEach(async () => {
  // Make sure the apiserver is up for the next test, whatever this one did.
  await plane.startApiserver();
  await Promise.all(running.map((p) => p.kill()));
  running = [];
});

async function startController(name: string): Promise<ControllerProcess> {
  const proc = await ControllerProcess.start(name, ['--install-crd=false'], {
    KUBECONFIG: plane.info.kubeconfigPath,
  });
  running.push(proc);
  await proc.waitReady();
  return proc;
}

describe('watch faults', () => {
  it('survives an apiserver restart in the middle of a 1,000-guitar burst', async () => {
    const kc = plane.adminConfig();
    const namespace = await plane.createNamespace('restart');
    const proc = await startController('restart');
    const started = Date.now();
    const creating = createGuitars(kc, namespace, manyGuitars('burst', 1000, BRANDS));
    await waitFor(
      'a third of the burst created',
      async () => (await listGuitars(kc, namespace)).length >= 300,
      60_000,
    );
    await plane.restartApiserver();
    await creating;
    const guitars = await waitAllReviewed(plane.adminConfig(), namespace, 1000, 120_000);
    console.log(
      `1,000 guitars with an apiserver restart: created and reviewed in ${Date.now() - started} ms`,
    );

    expectEachReviewedOnce(guitars, [proc], namespace);
    expect(proc.hasExited()).toBe(false);
    await proc.waitReady();
    // Every review is counted once, by verdict.
    await proc.waitMetric('guitars_reviews_total', {}, 1000);
    expect(await proc.metric('guitars_reviews_total', { verdict: 'unknown' })).toBe(
      guitars.filter((g) => g.spec.brand === 'acme').length,
    );
    expect(await proc.metric('guitars_watch_restarts_total')).toBeGreaterThanOrEqual(1);
    await waitFor('queue empty', async () => (await proc.metric('guitars_workqueue_depth')) === 0, 10_000);
  });

  it('relists after etcd is compacted past its watch (410 Gone)', async () => {
    const kc = plane.adminConfig();
    const namespace = await plane.createNamespace('gone');
    const proc = await startController('gone');
    await createGuitars(kc, namespace, manyGuitars('before', 20, BRANDS));
    const before = await waitAllReviewed(kc, namespace, 20, 30_000);
    const api = kc.makeApiClient(CustomObjectsApi);
    const list = (await api.listClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
    })) as GuitarList;
    const seenVersion = list.metadata?.resourceVersion ?? '';

    // Freeze the controller, so that its watch is left behind; restart the apiserver (whose watch
    // cache then starts after it), write more, and compact: resuming from its version is impossible.
    process.kill(proc.pid, 'SIGSTOP');
    try {
      await plane.restartApiserver();
      await createGuitars(kc, namespace, manyGuitars('during', 50, BRANDS));
      await plane.compactEtcd();
      // What the controller's watch will meet when it resumes:
      const watch = await plane.kubectl([
        'get',
        '--raw',
        `/apis/${GROUP}/${VERSION}/${PLURAL}?watch=true&resourceVersion=${seenVersion}&timeoutSeconds=1`,
      ]);
      expect(`${watch.stdout}${watch.stderr}`).toMatch(/410|too old resource version|Expired/i);
    } finally {
      process.kill(proc.pid, 'SIGCONT');
    }

    const guitars = await waitAllReviewed(kc, namespace, 70, 60_000);
    expectEachReviewedOnce(guitars, [proc], namespace);
    // The guitars reviewed before were not touched again.
    const after = new Map(guitars.map((g) => [g.metadata.name, g.metadata.resourceVersion]));
    expect(before.every((g) => after.get(g.metadata.name) === g.metadata.resourceVersion)).toBe(true);
    await proc.waitMetric('guitars_reviews_total', {}, 70);
    // The relist was counted and logged, with the size of the fresh list (every guitar so far).
    expect(await proc.metric('guitars_relists_total')).toBeGreaterThanOrEqual(1);
    const relists = proc.lines('guitar watch fell behind (410 Gone); cache relisted');
    expect(relists.at(-1)?.objects).toBeGreaterThanOrEqual(70);
    expect(proc.hasExited()).toBe(false);
  });

  it('waits out an apiserver that is down for 30 s, with backoff, not ready meanwhile, then resumes', async () => {
    const kc = plane.adminConfig();
    const namespace = await plane.createNamespace('down');
    const proc = await startController('down');
    await createGuitars(kc, namespace, manyGuitars('before', 10, BRANDS));
    await waitAllReviewed(kc, namespace, 10, 30_000);

    const failuresBefore = proc.lines('guitar list/watch failed; restarting with backoff').length;
    await plane.stopApiserver();
    const downAt = Date.now();
    await waitFor(
      'not ready while the apiserver is down',
      async () => (await proc.probe('/readyz')).status === 503,
      15_000,
    );
    expect((await proc.probe('/healthz')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - downAt))));
    const failures = proc.lines('guitar list/watch failed; restarting with backoff').length - failuresBefore;
    // Backoff 0.5 s doubling to 10 s: about 7 tries in 30 s, not a tight loop.
    expect(failures).toBeGreaterThanOrEqual(3);
    expect(failures).toBeLessThanOrEqual(12);
    expect(proc.hasExited()).toBe(false);

    await plane.startApiserver();
    const upAt = Date.now();
    await proc.waitReady(30_000);
    console.log(`ready again ${Date.now() - upAt} ms after the apiserver came back (down 30 s)`);
    await createGuitars(kc, namespace, manyGuitars('after', 10, BRANDS));
    const guitars = await waitAllReviewed(kc, namespace, 20, 30_000);
    expectEachReviewedOnce(guitars, [proc], namespace);
    await proc.waitMetric('guitars_reviews_total', {}, 20);
    expect(await proc.metric('guitars_cache_synced')).toBe(1);
  });
});
