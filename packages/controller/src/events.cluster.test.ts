import { connect, createLogger, ensureGuitarCrd, type Guitar } from '@guitars/shared';
import { Cluster, waitFor } from '@guitars/testenv';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { EventRecorder } from './kit/event-recorder.js';
import { createMetrics } from './kit/metrics.js';
import { startTestApp } from './test-support/app.js';
import { sumSamples } from './test-support/controller-process.js';
import { createGuitars, manyGuitars, waitAllReviewed } from './test-support/guitars.js';

const cluster = new Cluster(inject('testenv'));
const admin = cluster.adminConfig();
const core = admin.makeApiClient(CoreV1Api);
// The controller's client for events, as app.ts builds it.
const kube = connect(admin);
afterAll(() => kube.close());
const silent = createLogger('test', { write: () => {} });

const guitar = (namespace: string, name: string): Guitar => ({
  apiVersion: 'kool.karmalabs.local/v1',
  kind: 'Guitar',
  metadata: { name, namespace, uid: `uid-${name}`, resourceVersion: '1' },
  spec: { brand: 'fender' },
});

function recorder(
  options: Partial<{
    qps: number;
    burst: number;
    maxQueued: number;
    now: () => number;
    busy: () => boolean;
  }> = {},
  logger = silent,
) {
  const metrics = createMetrics('guitars', 'guitar');
  const rec = new EventRecorder(kube.events, logger, metrics, {
    component: 'guitars-controller',
    instance: 'test-1',
    qps: 100,
    burst: 100,
    ...options,
  });
  const count = async (result: string) =>
    sumSamples(await metrics.registry.metrics(), 'guitars_events_total', { result });
  return { rec, count };
}

const eventsIn = async (namespace: string) => (await core.listNamespacedEvent({ namespace })).items;

describe('EventRecorder', () => {
  it('creates a core/v1 event pointing at the guitar', async () => {
    const namespace = await cluster.createNamespace('events');
    const { rec } = recorder();
    rec.record(guitar(namespace, 'strat'), 'Normal', 'Reviewed', 'Brand "fender": great');
    await waitFor('event', async () => (await eventsIn(namespace)).length === 1, 10_000);
    const [event] = await eventsIn(namespace);
    expect(event).toMatchObject({
      involvedObject: {
        kind: 'Guitar',
        name: 'strat',
        namespace,
        uid: 'uid-strat',
        apiVersion: 'kool.karmalabs.local/v1',
      },
      type: 'Normal',
      reason: 'Reviewed',
      message: 'Brand "fender": great',
      count: 1,
      source: { component: 'guitars-controller', host: 'test-1' },
      reportingComponent: 'guitars-controller',
      reportingInstance: 'test-1',
    });
    expect(event?.metadata.name).toMatch(/^strat\.[0-9a-f]+$/);
  });

  it('counts up an identical event instead of creating another, as client-go does', async () => {
    const namespace = await cluster.createNamespace('events');
    const { rec, count } = recorder();
    for (let i = 0; i < 3; i++) rec.record(guitar(namespace, 'lp'), 'Normal', 'Reviewed', 'same words');
    rec.record(guitar(namespace, 'lp'), 'Normal', 'Reviewed', 'other words');
    await waitFor(
      'events',
      async () => (await count('created')) === 2 && (await count('aggregated')) === 2,
      10_000,
    );
    const events = await eventsIn(namespace);
    expect(events.map((e) => [e.message, e.count]).sort()).toEqual([
      ['other words', 1],
      ['same words', 3],
    ]);
  });

  it('kubectl shows a counted-up event with its timestamps and object', async () => {
    const namespace = await cluster.createNamespace('events');
    // Milliseconds, which the apiserver must parse (RFC 3339) and then keeps to the second.
    let clock = Date.parse('2025-01-02T03:04:05.678Z');
    const { rec, count } = recorder({ now: () => clock });
    rec.record(guitar(namespace, 'tele'), 'Normal', 'Reviewed', 'Brand "fender": great');
    await waitFor('created', async () => (await count('created')) === 1, 10_000);
    clock += 90_000;
    rec.record(guitar(namespace, 'tele'), 'Normal', 'Reviewed', 'Brand "fender": great');
    await waitFor('aggregated', async () => (await count('aggregated')) === 1, 10_000);

    const out = await cluster.kubectlOk(['get', 'events', '-n', namespace, '-o', 'json']);
    // As kubectl prints it: timestamps are strings here, not client-node's Dates.
    const items = (JSON.parse(out) as { items: Array<{ metadata: { name: string } }> }).items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      involvedObject: {
        apiVersion: 'kool.karmalabs.local/v1',
        kind: 'Guitar',
        namespace,
        name: 'tele',
        uid: 'uid-tele',
        resourceVersion: '1',
      },
      type: 'Normal',
      reason: 'Reviewed',
      message: 'Brand "fender": great',
      count: 2,
      firstTimestamp: '2025-01-02T03:04:05Z',
      lastTimestamp: '2025-01-02T03:05:35Z',
    });
    const name = items[0]?.metadata.name ?? '';
    const described = await cluster.kubectlOk(['describe', 'event', name, '-n', namespace]);
    expect(described).toMatch(/Count:\s+2\n/);
    expect(described).toMatch(/First Timestamp:\s+2025-01-02T03:04:05Z\n/);
    expect(described).toMatch(/Last Timestamp:\s+2025-01-02T03:05:35Z\n/);
  });

  it('counts a failed write, logs it once, and creates the event afresh next time', async () => {
    const namespace = await cluster.createNamespace('events');
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger('test', { write: (l: string) => void lines.push(JSON.parse(l)) }, 'logger');
    const { rec, count } = recorder({}, logger);
    const g = guitar(namespace, 'sg');
    rec.record(g, 'Normal', 'Reviewed', 'gone soon');
    await waitFor('created', async () => (await count('created')) === 1, 10_000);
    const [created] = await eventsIn(namespace);
    await core.deleteNamespacedEvent({ namespace, name: created?.metadata.name ?? '' });

    // The count-up finds no event: a 404, read from the transport's KubeApiError.
    rec.record(g, 'Normal', 'Reviewed', 'gone soon');
    await waitFor('failed', async () => (await count('failed')) === 1, 10_000);
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ status: 404, namespace, name: 'sg', event: created?.metadata.name });
    expect(warnings[0]?.msg).toMatch(/^could not write event: .*not found/);

    rec.record(g, 'Normal', 'Reviewed', 'gone soon');
    await waitFor('created again', async () => (await count('created')) === 2, 10_000);
    const events = await eventsIn(namespace);
    expect(events.map((e) => [e.message, e.count])).toEqual([['gone soon', 1]]);
  });

  it('cuts a very long guitar name to a valid event name', async () => {
    const namespace = await cluster.createNamespace('events');
    const { rec, count } = recorder();
    const name = `${'a'.repeat(235)}-${'b'.repeat(17)}`;
    rec.record(guitar(namespace, name), 'Normal', 'Reviewed', 'long');
    await waitFor('created', async () => (await count('created')) === 1, 10_000);
    const [event] = await eventsIn(namespace);
    expect(event?.metadata.name?.length).toBeLessThanOrEqual(253);
    expect(event?.involvedObject.name).toBe(name);
  });

  it('rate-limits a burst: sends at qps after the burst, drops beyond its queue, never blocks the caller', async () => {
    const namespace = await cluster.createNamespace('events');
    const { rec, count } = recorder({ qps: 5, burst: 5, maxQueued: 10 });
    const started = performance.now();
    for (let i = 0; i < 20; i++) rec.record(guitar(namespace, `g${i}`), 'Normal', 'Reviewed', 'burst');
    expect(performance.now() - started).toBeLessThan(50);
    expect(await count('dropped')).toBe(10);
    await waitFor('burst sent', async () => (await count('created')) === 5, 5_000);
    // The other five follow at 5 a second.
    expect(await count('created')).toBeLessThan(10);
    await waitFor('rest sent', async () => (await count('created')) === 10, 5_000);
  });

  it('limits events per guitar: 25, then one per 5 minutes (client-go’s spam filter)', async () => {
    const namespace = await cluster.createNamespace('events');
    const { rec, count } = recorder({ qps: 1000, burst: 1000 });
    for (let i = 0; i < 30; i++) rec.record(guitar(namespace, 'busy'), 'Normal', 'Reviewed', `review ${i}`);
    expect(await count('dropped')).toBe(5);
    await waitFor('sent', async () => (await count('created')) === 25, 10_000);
  });

  it('flushes what is queued on stop, within a deadline, then takes no more', async () => {
    const namespace = await cluster.createNamespace('events');
    const { rec, count } = recorder({ qps: 1, burst: 2 });
    for (let i = 0; i < 5; i++) rec.record(guitar(namespace, `f${i}`), 'Normal', 'Reviewed', 'flush');
    await rec.flush(300);
    expect(await count('created')).toBe(2);
    expect(await count('dropped')).toBe(3);
    rec.record(guitar(namespace, 'late'), 'Normal', 'Reviewed', 'too late');
    expect(rec.pending()).toBe(0);
  });

  it('on stop after a backlog, sends what the limit allows in a second and drops the rest at once', async () => {
    const namespace = await cluster.createNamespace('events');
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger('test', { write: (l: string) => void lines.push(JSON.parse(l)) }, 'logger');
    // Held as during a backlog of reviews: 200 events queued behind a burst of 10.
    const { rec, count } = recorder({ qps: 5, burst: 10, maxQueued: 1000, busy: () => true }, logger);
    for (let i = 0; i < 200; i++) rec.record(guitar(namespace, `b${i}`), 'Normal', 'Reviewed', 'backlog');
    const started = performance.now();
    await rec.flush(5_000);
    expect(performance.now() - started).toBeLessThan(2_000);
    // The burst now, then 5 a second for the one-second grace: 15 sent, 185 dropped.
    expect(await count('created')).toBe(15);
    expect(await count('dropped')).toBe(185);
    const told = lines.filter((l) => typeof l.dropped === 'number');
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ level: 'info', dropped: 185, qps: 5, burst: 10 });
    expect(told[0]?.msg).toMatch(/dropped 185 events/);
  });

  it('waits while the controller is busy reviewing, then sends; a flush does not wait', async () => {
    const namespace = await cluster.createNamespace('events');
    let busy = true;
    const { rec, count } = recorder({ busy: () => busy });
    rec.record(guitar(namespace, 'held'), 'Normal', 'Reviewed', 'held');
    // Held for several of its looks at the controller (every 50 ms), none sent.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await count('created')).toBe(0);
    expect(rec.pending()).toBe(1);
    busy = false;
    await waitFor('sent once idle', async () => (await count('created')) === 1, 5_000);
    expect((await eventsIn(namespace)).map((e) => e.involvedObject.name)).toEqual(['held']);

    busy = true;
    rec.record(guitar(namespace, 'flushed'), 'Normal', 'Reviewed', 'flushed');
    await rec.flush(2_000);
    expect(await count('created')).toBe(2);
    expect(await count('dropped')).toBe(0);
  });
});

describe('the controller app stopping after a backlog', () => {
  it('returns well before the 5 s flush timeout, the events it could not send dropped and logged', async () => {
    await ensureGuitarCrd(admin);
    const namespace = await cluster.createNamespace('events-stop');
    await createGuitars(admin, namespace, manyGuitars('s', 60, ['fender', 'acme']));
    const ctl = await startTestApp(admin, [`--namespace=${namespace}`, '--event-qps=1', '--event-burst=5']);
    let stopped = false;
    try {
      await waitAllReviewed(admin, namespace, 60, 60_000);
      await ctl.waitMetric('guitars_reviews_total', {}, 60);
      const started = performance.now();
      await ctl.stop();
      stopped = true;
      expect(performance.now() - started).toBeLessThan(2_000);
      const sent =
        (await ctl.metric('guitars_events_total', { result: 'created' })) +
        (await ctl.metric('guitars_events_total', { result: 'aggregated' }));
      const dropped = await ctl.metric('guitars_events_total', { result: 'dropped' });
      expect(sent + dropped).toBe(60);
      // The burst, the one-a-second refill while the test looked, and at most one more in the grace.
      expect(dropped).toBeGreaterThan(40);
      const told = ctl.logs.filter((l) => typeof l.dropped === 'number');
      expect(told).toHaveLength(1);
      expect(told[0]?.dropped).toBe(dropped);
    } finally {
      if (!stopped) await ctl.stop();
    }
  });
});
