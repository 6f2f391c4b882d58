import { describe, expect, it, vi } from 'vitest';
import { ExponentialRateLimiter } from './rate-limiter.js';
import { WorkQueue } from './work-queue.js';

const newQueue = () => new WorkQueue(new ExponentialRateLimiter(10, 1000));

describe('WorkQueue', () => {
  it('hands keys out in order, each once however often it was added', async () => {
    const queue = newQueue();
    for (const key of ['a', 'b', 'a', 'c', 'b']) queue.add(key);
    expect(queue.len()).toBe(3);
    expect([await queue.get(), await queue.get(), await queue.get()]).toEqual(['a', 'b', 'c']);
    expect(queue.len()).toBe(0);
  });

  it('never hands a key to two workers: one added while processed is queued again once, after done', async () => {
    const queue = newQueue();
    queue.add('a');
    const key = await queue.get();
    queue.add('a');
    queue.add('a');
    expect(queue.len()).toBe(0);
    queue.done(key as string);
    expect(queue.len()).toBe(1);
    expect(await queue.get()).toBe('a');
    queue.done('a');
    expect(queue.len()).toBe(0);
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const queue = newQueue();
    const waiting = queue.get();
    queue.add('x');
    expect(await waiting).toBe('x');
    expect(queue.inFlight()).toBe(1);
  });

  it('delays keys, keeping the earliest time for a key delayed twice', async () => {
    vi.useFakeTimers();
    try {
      const queue = newQueue();
      queue.addAfter('a', 1000);
      queue.addAfter('a', 100);
      queue.addAfter('a', 5000);
      vi.advanceTimersByTime(99);
      expect(queue.len()).toBe(0);
      vi.advanceTimersByTime(1);
      expect(queue.len()).toBe(1);
      vi.advanceTimersByTime(10_000);
      expect(queue.len()).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('retries with per-key exponential backoff and forgets on success', () => {
    vi.useFakeTimers();
    try {
      const queue = newQueue();
      queue.addRateLimited('a');
      queue.addRateLimited('a');
      expect(queue.retries('a')).toBe(2);
      vi.advanceTimersByTime(10);
      expect(queue.len()).toBe(1);
      queue.forget('a');
      expect(queue.retries('a')).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('on shutdown releases waiting workers, hands out nothing more, and reports when in-flight work is done', async () => {
    const queue = newQueue();
    queue.add('a');
    queue.add('b');
    const a = await queue.get();
    const waiting = newQueue();
    const idle = waiting.get();
    waiting.shutDown();
    expect(await idle).toBeUndefined();

    queue.shutDown();
    expect(await queue.get()).toBeUndefined();
    queue.add('c');
    let drained = false;
    const drain = queue.drained().then(() => {
      drained = true;
    });
    await Promise.resolve();
    expect(drained).toBe(false);
    queue.done(a as string);
    await drain;
    expect(drained).toBe(true);
  });

  it('lets a worker stop waiting through its abort signal', async () => {
    const queue = newQueue();
    const abort = new AbortController();
    const waiting = queue.get(abort.signal);
    abort.abort();
    expect(await waiting).toBeUndefined();
    queue.add('a');
    // The aborted worker did not swallow the key, and takes no more.
    expect(await queue.get(abort.signal)).toBeUndefined();
    expect(await queue.get()).toBe('a');
  });

  it('keeps order over many keys (the backing array is compacted)', async () => {
    const queue = newQueue();
    const keys = Array.from({ length: 5000 }, (_, i) => `k${i}`);
    for (const key of keys) queue.add(key);
    const out: string[] = [];
    for (let key = await queue.get(); key !== undefined && out.length < keys.length; ) {
      out.push(key);
      queue.done(key);
      if (out.length < keys.length) key = await queue.get();
    }
    expect(out).toEqual(keys);
  });

  it('reports depth and adds to its hooks', async () => {
    const depths: number[] = [];
    let adds = 0;
    const queue = new WorkQueue(new ExponentialRateLimiter(10, 1000), {
      onAdd: () => adds++,
      onDepthChange: (d) => depths.push(d),
    });
    queue.add('a');
    queue.add('a');
    queue.add('b');
    await queue.get();
    expect(adds).toBe(2);
    expect(depths).toEqual([1, 2, 1]);
  });
});
