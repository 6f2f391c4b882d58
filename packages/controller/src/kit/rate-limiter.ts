/** How long to wait before retrying a key that failed; forget() once it succeeds. */
export interface RateLimiter {
  /** The delay before the next try of this key, in ms. Each call counts as one more failure. */
  when(key: string): number;
  forget(key: string): void;
  /** How many times the key has failed since it was last forgotten. */
  retries(key: string): number;
}

/** Milliseconds since some fixed point; injected so tests control time. */
export type Now = () => number;

/**
 * Per-key exponential backoff: base, 2·base, 4·base … up to max. Like client-go's
 * ItemExponentialFailureRateLimiter, so one broken guitar backs off without slowing the others.
 */
export class ExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  when(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    // 2 ** failures overflows to Infinity long after it passes maxMs; min() keeps it bounded.
    return Math.min(this.baseMs * 2 ** failures, this.maxMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * A token bucket shared by all keys (qps tokens a second, up to burst): caps the total retry rate
 * when many keys fail at once, e.g. while the apiserver is down. Like client-go's BucketRateLimiter,
 * each call reserves a token, possibly in the future, and returns the wait until it.
 */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly now: Now = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  when(_key: string): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  /**
   * How many more calls would get a token within withinMs, without taking any (a call already
   * waiting for a reserved token is not counted again).
   */
  allowedWithin(withinMs: number): number {
    const tokens = Math.min(this.burst, this.tokens + ((this.now() - this.last) / 1000) * this.qps);
    // The bucket is spent as it refills, so the window adds qps·withinMs beyond a full bucket.
    return Math.max(0, Math.floor(tokens + (withinMs / 1000) * this.qps));
  }

  /** Returns the token the last when() took, e.g. when the caller decided not to wait for it. */
  refund(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }

  forget(_key: string): void {}

  retries(_key: string): number {
    return 0;
  }
}

/** The longest wait any of the limiters asks for, like client-go's MaxOfRateLimiter. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: ReadonlyArray<RateLimiter>;

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    return Math.max(...this.limiters.map((l) => l.when(key)));
  }

  forget(key: string): void {
    for (const limiter of this.limiters) limiter.forget(key);
  }

  retries(key: string): number {
    return Math.max(...this.limiters.map((l) => l.retries(key)));
  }
}

/**
 * client-go's DefaultControllerRateLimiter, retuned: a conflict or a brief outage is retried after
 * 50 ms, then 100 ms … up to 5 minutes per key; over all keys no more than 50 retries a second after
 * a burst of 500. client-go's 10/s after 100 would take 90 s to retry a 1,000-guitar burst that
 * failed during an apiserver restart; failures against a down apiserver cost it nothing.
 */
export function defaultControllerRateLimiter(now: Now = Date.now): RateLimiter {
  return new MaxOfRateLimiter(new ExponentialRateLimiter(50, 300_000), new BucketRateLimiter(50, 500, now));
}
