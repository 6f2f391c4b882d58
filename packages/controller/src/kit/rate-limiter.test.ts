import { describe, expect, it } from 'vitest';
import { BucketRateLimiter, ExponentialRateLimiter, MaxOfRateLimiter } from './rate-limiter.js';

describe('ExponentialRateLimiter', () => {
  it('doubles the wait per failure of a key, up to the cap, and forgets on success', () => {
    const limiter = new ExponentialRateLimiter(50, 1000);
    expect([1, 2, 3, 4, 5, 6, 7].map(() => limiter.when('a'))).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    expect(limiter.retries('a')).toBe(7);
    expect(limiter.when('b')).toBe(50);
    limiter.forget('a');
    expect(limiter.retries('a')).toBe(0);
    expect(limiter.when('a')).toBe(50);
  });

  it('stays bounded after very many failures', () => {
    const limiter = new ExponentialRateLimiter(50, 300_000);
    for (let i = 0; i < 2000; i++) limiter.when('a');
    expect(limiter.when('a')).toBe(300_000);
  });
});

describe('BucketRateLimiter', () => {
  it('lets a burst through, then spaces calls at qps, refilling over time', () => {
    let now = 0;
    const limiter = new BucketRateLimiter(10, 3, () => now);
    expect([limiter.when('a'), limiter.when('b'), limiter.when('c')]).toEqual([0, 0, 0]);
    expect(limiter.when('d')).toBe(100);
    expect(limiter.when('e')).toBe(200);
    now = 1000;
    // 10 tokens came in, 2 were owed, the bucket holds at most 3.
    expect([limiter.when('f'), limiter.when('g'), limiter.when('h'), limiter.when('i')]).toEqual([
      0, 0, 0, 100,
    ]);
  });

  it('gives a refunded token back', () => {
    const limiter = new BucketRateLimiter(1, 1, () => 0);
    expect(limiter.when('a')).toBe(0);
    expect(limiter.when('a')).toBe(1000);
    limiter.refund();
    expect(limiter.when('a')).toBe(1000);
  });

  it('tells how many calls a window allows without taking a token', () => {
    let now = 0;
    const limiter = new BucketRateLimiter(10, 3, () => now);
    // A full bucket, then 10 a second as it refills.
    expect(limiter.allowedWithin(0)).toBe(3);
    expect(limiter.allowedWithin(1000)).toBe(13);
    expect(limiter.allowedWithin(1000)).toBe(13);
    for (let i = 0; i < 5; i++) limiter.when('a');
    // Two tokens are owed (the next arrives at 100 ms, the one after at 200 ms).
    expect(limiter.allowedWithin(150)).toBe(0);
    expect(limiter.allowedWithin(1000)).toBe(8);
    now = 5000;
    expect(limiter.allowedWithin(0)).toBe(3);
  });
});

describe('MaxOfRateLimiter', () => {
  it('waits as long as the slowest limiter says: per-key backoff under a global cap', () => {
    let now = 0;
    const limiter = new MaxOfRateLimiter(
      new ExponentialRateLimiter(10, 10_000),
      new BucketRateLimiter(1, 2, () => now),
    );
    expect(limiter.when('a')).toBe(10);
    expect(limiter.when('b')).toBe(10);
    // The bucket is empty: the third retry waits a second whatever its own backoff.
    expect(limiter.when('c')).toBe(1000);
    now = 10_000;
    expect(limiter.when('a')).toBe(20);
    expect(limiter.retries('a')).toBe(2);
    limiter.forget('a');
    expect(limiter.retries('a')).toBe(0);
  });
});
