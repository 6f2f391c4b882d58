import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles from the first wait to the largest, each spread by up to the jitter', () => {
    let random = 0;
    const backoff = new Backoff({ initialMs: 800, maxMs: 30_000, random: () => random, now: () => 0 });
    const low = Array.from({ length: 8 }, () => backoff.next());
    expect(low).toEqual([800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000]);
    backoff.reset();
    random = 0.999_999;
    const high = Array.from({ length: 8 }, () => backoff.next());
    expect(high).toEqual([1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000]);
  });

  it('keeps every wait between the backoff and (1 + jitter) times it, and spreads them', () => {
    const backoff = new Backoff({ initialMs: 500, maxMs: 10_000, jitter: 0.5, now: () => 0 });
    const waits = Array.from({ length: 1000 }, () => backoff.next()).slice(5);
    // From the sixth on the backoff is at its largest: 10 s, spread to at most 15 s.
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(10_000);
      expect(wait).toBeLessThanOrEqual(15_000);
    }
    // Replicas that failed together retry apart: the waits are not all alike.
    expect(new Set(waits).size).toBeGreaterThan(100);
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
    now += 60_000;
    expect(backoff.next()).toBe(100);
  });
});
