export interface BackoffOptions {
  /** The first wait, before jitter (client-go's reflector: 800 ms). */
  initialMs: number;
  /** The largest wait (client-go's reflector: 30 s, before jitter). */
  maxMs: number;
  /** Each wait is the backoff times 1 to 1 + jitter, at most maxMs (client-go's reflector: 1.0). */
  jitter?: number;
  /** A failure this long after the previous one starts again from initialMs (client-go: 2 min). */
  resetAfterMs?: number;
  random?: () => number;
  now?: () => number;
}

/**
 * client-go's reflector backoff (wait.NewExponentialBackoffManager): doubling from initialMs, each
 * wait spread by jitter so that replicas that failed together do not retry together, and
 * forgotten after a healthy period. client-go's jitter takes a wait past its cap (30 s to 60 s);
 * here maxMs is the largest wait, so the doubling stops at maxMs / (1 + jitter) and the waits at
 * the top are still spread, between that and maxMs.
 */
export class Backoff {
  private readonly jitter: number;
  private readonly resetAfterMs: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private baseMs: number;
  private lastAt: number | undefined;

  constructor(private readonly options: BackoffOptions) {
    this.jitter = options.jitter ?? 1;
    this.resetAfterMs = options.resetAfterMs ?? 120_000;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.baseMs = options.initialMs;
  }

  /** The wait before the next try, after a failure. */
  next(): number {
    const now = this.now();
    if (this.lastAt !== undefined && now - this.lastAt >= this.resetAfterMs) this.reset();
    this.lastAt = now;
    const { initialMs, maxMs } = this.options;
    const base = this.baseMs;
    this.baseMs = Math.max(initialMs, Math.min(base * 2, maxMs / (1 + this.jitter)));
    return Math.round(Math.min(maxMs, base * (1 + this.jitter * this.random())));
  }

  reset(): void {
    this.baseMs = this.options.initialMs;
    this.lastAt = undefined;
  }
}
