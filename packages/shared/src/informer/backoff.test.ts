import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles from the first wait, each spread by up to the jitter, never past the largest', () => {
    let random = 0;
    const backoff = new Backoff({ initialMs: 800, maxMs: 30_000, random: () => random, now: () => 0 });
    const low = Array.from({ length: 7 }, () => backoff.next());
    expect(low).toEqual([800, 1600, 3200, 6400, 12_800, 15_000, 15_000]);
    backoff.reset();
    random = 0.999_999;
    const high = Array.from({ length: 7 }, () => backoff.next());
    expect(high).toEqual([1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000]);
  });

  it('keeps the waits at the top between the cap over (1 + jitter) and the cap, spread', () => {
    const backoff = new Backoff({ initialMs: 500, maxMs: 10_000, jitter: 0.5, now: () => 0 });
    const waits = Array.from({ length: 1000 }, () => backoff.next()).slice(5);
    // From the sixth on the backoff has stopped doubling: 10 s / 1.5, spread to at most 10 s.
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(6667);
      expect(wait).toBeLessThanOrEqual(10_000);
    }
    // Replicas that failed together retry apart: the waits are not all alike.
    expect(new Set(waits).size).toBeGreaterThan(100);
  });

  it('waits at least the first wait when it is larger than the cap allows doubling to', () => {
    const backoff = new Backoff({ initialMs: 60_000, maxMs: 100_000, random: () => 0.9, now: () => 0 });
    expect([backoff.next(), backoff.next()]).toEqual([100_000, 100_000]);
    const flat = new Backoff({ initialMs: 60_000, maxMs: 100_000, random: () => 0, now: () => 0 });
    expect([flat.next(), flat.next()]).toEqual([60_000, 60_000]);
  });

  it('starts over after a healthy period without failures, not before', () => {
    let now = 0;
    const backoff = new Backoff({
      initialMs: 100,
      maxMs: 1000,
      jitter: 0,
      resetAfterMs: 60_000,
      now: () => now,
    });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([100, 200, 400]);
    now += 59_999;
    expect(backoff.next()).toBe(800);
    expect(backoff.next()).toBe(1000);
    now += 60_000;
    expect(backoff.next()).toBe(100);
  });
});
