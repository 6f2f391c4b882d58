import { createLogger, KubeApiError } from '@guitars/shared';
import { waitFor } from '@guitars/testenv';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { sumSamples } from '../test-support/controller-process.js';
import { Controller, type ControllerDeps } from './controller.js';
import { createMetrics } from './metrics.js';
import { ExponentialRateLimiter } from './rate-limiter.js';
import { done, type Result, requeueAfter, TerminalError } from './reconciler.js';
import { WorkQueue } from './work-queue.js';

describe('Controller (workers and queue)', () => {
  const setup = (reconcile: (key: string) => Promise<Result>, workers = 4) => {
    const handlers = new Map<string, (obj: KubernetesObject) => void>();
    const objects: KubernetesObject[] = [];
    const cache: ControllerDeps<KubernetesObject>['cache'] = {
      on: (event, handler) => void handlers.set(event, handler),
      list: () => objects,
      get: (namespace, name) => ({ metadata: { namespace, name } }),
    };
    const queue = new WorkQueue(new ExponentialRateLimiter(5, 50));
    const metrics = createMetrics('guitars', 'guitar');
    const controller = new Controller({
      cache,
      queue,
      reconciler: { reconcile: (_obj, key) => reconcile(key) },
      logger: createLogger('test', { write: () => {} }),
      metrics,
      workers,
    });
    const emit = (event: string, namespace: string, name: string) =>
      handlers.get(event)?.({ metadata: { namespace, name } });
    return { controller, queue, metrics, objects, emit };
  };

  it('queues every cached guitar on start and each changed one after, never one key on two workers', async () => {
    const inFlight = new Set<string>();
    const seen: string[] = [];
    let overlap = false;
    const t = setup(async (key) => {
      if (inFlight.has(key)) overlap = true;
      inFlight.add(key);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight.delete(key);
      seen.push(key);
      return done();
    });
    t.objects.push({ metadata: { namespace: 'ns', name: 'cached' } });
    t.controller.startWorkers();
    for (let i = 0; i < 20; i++) t.emit('update', 'ns', 'busy');
    t.emit('add', 'ns', 'new');
    await waitFor(
      'all processed',
      async () => seen.includes('ns/new') && t.queue.len() === 0 && t.queue.inFlight() === 0,
      5_000,
    );
    expect(overlap).toBe(false);
    expect(seen.filter((k) => k === 'ns/cached')).toHaveLength(1);
    // 20 updates of one key while it was queued or in flight: at most two runs.
    expect(seen.filter((k) => k === 'ns/busy').length).toBeLessThanOrEqual(2);
    await t.controller.stopWorkers();
  });

  it('retries a failing key with backoff, counts the error, and forgets it once it succeeds', async () => {
    let calls = 0;
    const t = setup(async () => {
      calls += 1;
      if (calls < 3)
        throw new KubeApiError(409, '{"message":"the object has been modified"}', {
          method: 'PATCH',
          path: '/g',
        });
      return done();
    });
    t.controller.startWorkers();
    t.emit('add', 'ns', 'g');
    await waitFor('third try', async () => calls === 3, 5_000);
    await waitFor('idle', async () => t.queue.inFlight() === 0, 5_000);
    expect(t.queue.retries('ns/g')).toBe(0);
    const text = await t.metrics.registry.metrics();
    expect(sumSamples(text, 'guitars_reconcile_errors_total', { reason: 'conflict' })).toBe(2);
    expect(sumSamples(text, 'guitars_workqueue_retries_total')).toBe(2);
    await t.controller.stopWorkers();
  });

  it('on stop finishes the reviews in flight and takes no new ones', async () => {
    let release: () => void = () => {};
    const started: string[] = [];
    const finished: string[] = [];
    const t = setup(async (key) => {
      started.push(key);
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      finished.push(key);
      return done();
    }, 1);
    t.controller.startWorkers();
    t.emit('add', 'ns', 'a');
    t.emit('add', 'ns', 'b');
    await waitFor('a started', async () => started.length === 1, 5_000);
    const stopping = t.controller.stopWorkers();
    release();
    await stopping;
    expect(finished).toEqual(['ns/a']);
    expect(started).toEqual(['ns/a']);
    expect(t.queue.len()).toBe(1);
  });

  it('reconciles a key again after requeueAfterMs, and drops a terminal error without a retry', async () => {
    const calls = new Map<string, number[]>();
    const t = setup(async (key) => {
      const at = calls.get(key) ?? [];
      at.push(Date.now());
      calls.set(key, at);
      if (key === 'ns/poll') return at.length < 2 ? requeueAfter(100) : done();
      throw new TerminalError('amp skipped: no sound', 'invalid');
    });
    t.controller.startWorkers();
    t.emit('add', 'ns', 'poll');
    t.emit('add', 'ns', 'broken');
    await waitFor('polled twice', async () => calls.get('ns/poll')?.length === 2, 5_000);
    const [first = 0, second = 0] = calls.get('ns/poll') ?? [];
    expect(second - first).toBeGreaterThanOrEqual(90);
    await waitFor('idle', async () => t.queue.inFlight() === 0 && t.queue.len() === 0, 5_000);
    const text = await t.metrics.registry.metrics();
    expect(calls.get('ns/broken')).toHaveLength(1);
    expect(t.queue.retries('ns/broken')).toBe(0);
    expect(sumSamples(text, 'guitars_skipped_total', { reason: 'invalid' })).toBe(1);
    expect(sumSamples(text, 'guitars_reconcile_duration_seconds_count', { result: 'requeued' })).toBe(1);
    expect(sumSamples(text, 'guitars_workqueue_retries_total')).toBe(0);
    await t.controller.stopWorkers();
  });
});
