import type { RateLimiter } from './rate-limiter.js';

/**
 * A de-duplicating work queue of keys, with client-go's workqueue semantics:
 * - a key is queued at most once however often it is added (the `dirty` set);
 * - a key is never handed to two workers at once: added while being processed, it is queued
 *   again once, when done() is called (the `processing` set);
 * - addAfter/addRateLimited delay a key, e.g. to retry it with backoff.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiting = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly getters: Array<(key: string | undefined) => void> = [];
  private readonly drainWaiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(
    private readonly rateLimiter: RateLimiter,
    private readonly hooks: { onAdd?: () => void; onDepthChange?: (depth: number) => void } = {},
  ) {}

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.hooks.onAdd?.();
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the key after a delay; a key already waiting keeps the earlier of the two times. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.waiting.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, delayMs);
    this.waiting.set(key, { at, timer });
  }

  /** Adds the key after the rate limiter's delay for it: the way to retry a failure. */
  addRateLimited(key: string): void {
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Clears the key's failure history, after it succeeded or was given up. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  retries(key: string): number {
    return this.rateLimiter.retries(key);
  }

  /**
   * The next key to process, waiting for one if need be; undefined once the queue shuts down or
   * the signal aborts. Call done(key) when finished with it.
   */
  get(signal?: AbortSignal): Promise<string | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    const key = this.pop();
    if (key !== undefined || this.shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => {
      const getter = (next: string | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(next);
      };
      const onAbort = () => {
        const i = this.getters.indexOf(getter);
        if (i >= 0) this.getters.splice(i, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.getters.push(getter);
    });
  }

  /** Marks the key as processed; if it was added meanwhile, it is queued again now. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
    if (this.processing.size === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  /** Keys waiting to be processed (not counting those in flight or delayed). */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys being processed right now. */
  inFlight(): number {
    return this.processing.size;
  }

  /** Resolves once no key is being processed. */
  drained(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Stops handing out keys (waiting get() calls resolve undefined) and drops delayed ones. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    for (const getter of this.getters.splice(0)) getter(undefined);
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private push(key: string): void {
    const getter = this.getters.shift();
    if (getter) {
      this.take(key);
      getter(key);
    } else {
      this.queue.push(key);
      this.hooks.onDepthChange?.(this.len());
    }
  }

  private pop(): string | undefined {
    if (this.shuttingDown || this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head] as string;
    this.head += 1;
    // Compact now and then, so the array does not grow for ever (shift() would be O(n)).
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.take(key);
    this.hooks.onDepthChange?.(this.len());
    return key;
  }

  private take(key: string): void {
    this.processing.add(key);
    this.dirty.delete(key);
  }
}
