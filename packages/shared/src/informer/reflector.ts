import type { KubernetesObject } from '@kubernetes/client-node';
import { Backoff } from './backoff.js';
import type { ListerWatcher } from './lister-watcher.js';
import { trimForCache } from './store.js';

/** Where a Reflector files what it lists and watches (an Informer: its store and its handlers). */
export interface ReflectorSink {
  /** A whole list landed: the cache is to hold exactly `items`. */
  replace(items: KubernetesObject[]): void;
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubernetesObject): void;
  /** True once the apiserver accepted a watch; false when it failed or expired. */
  watching(watching: boolean): void;
  /** A list or watch failed; the next try is in `retryInMs`. */
  error(err: unknown, retryInMs: number): void;
}

export interface ReflectorOptions {
  /** Objects per page of a list (client-go: 500). */
  pageSize?: number;
  /** Backoff after a failure: first wait before jitter, largest wait (client-go: 0.8 s, 30 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Each watch asks the apiserver to end it after this to twice this (client-go: 5 min). */
  minWatchTimeoutSeconds?: number;
  random?: () => number;
}

/** The apiserver's ERROR event in a watch stream, as an error apiStatus and apiMessage read. */
export class WatchStatusError extends Error {
  constructor(
    readonly code: number | undefined,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'WatchStatusError';
  }
}

/**
 * client-go's Reflector: lists in pages, then watches from the list's resourceVersion with
 * bookmarks, and keeps the cache in step. A watch that ends (its timeout, an idle connection
 * given up) is resumed at once from the last resourceVersion seen; a failure is retried with
 * jittered backoff, also from there; only 410 Gone (the version was compacted away) lists again.
 * Each step awaits the previous one: nothing depends on the order of another library's callbacks.
 */
export class Reflector {
  private readonly pageSize: number;
  private readonly minWatchTimeoutSeconds: number;
  private readonly random: () => number;
  private readonly backoff: Backoff;
  private readonly maxBackoffMs: number;
  /** Where the next watch starts; undefined until listed and after 410 Gone. */
  private resourceVersion: string | undefined;
  /** Bumped by stop(): a loop (or a list page in flight) of an older generation gives up. */
  private generation = 0;
  private running = false;
  /** Ends the current watch or backoff wait at once (for stop). */
  private interrupt: (() => void) | undefined;

  constructor(
    private readonly lw: ListerWatcher,
    private readonly sink: ReflectorSink,
    options: ReflectorOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 500;
    this.minWatchTimeoutSeconds = options.minWatchTimeoutSeconds ?? 300;
    this.random = options.random ?? Math.random;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.backoff = new Backoff({
      initialMs: options.minBackoffMs ?? 800,
      maxMs: this.maxBackoffMs,
      random: this.random,
    });
  }

  /** The resourceVersion the cache is at (the last list's, event's or bookmark's). */
  lastSyncResourceVersion(): string | undefined {
    return this.resourceVersion;
  }

  run(): void {
    if (this.running) return;
    this.running = true;
    void this.loop(this.generation);
  }

  /** Stops at once: the watch is aborted, a backoff wait cut short, a list in flight dropped. */
  stop(): void {
    this.generation += 1;
    this.running = false;
    this.interrupt?.();
  }

  private async loop(generation: number): Promise<void> {
    const live = () => generation === this.generation;
    while (live()) {
      let failure: unknown;
      const listing = this.resourceVersion === undefined;
      if (listing) {
        try {
          await this.listAll(live);
        } catch (err) {
          failure = err;
        }
      }
      if (failure === undefined && live()) {
        const from = this.resourceVersion;
        const end = await this.watchOnce(live);
        // Ended by the apiserver (its timeoutSeconds) or given up idle: resume where it was.
        if (end === null || isIdleTimeout(end)) continue;
        if (isExpired(end)) {
          // List again, at once unless the version just listed is gone already: that would loop.
          // Still in sync meanwhile, like client-go's HasSynced: the relist follows at once.
          const fresh = listing && this.resourceVersion === from;
          this.resourceVersion = undefined;
          if (!fresh) continue;
        }
        this.sink.watching(false);
        failure = end;
      }
      if (!live()) return;
      // An apiserver that is starting (503) or overloaded (429) says when to come back.
      const wait = retryAfterMs(failure, this.maxBackoffMs) ?? this.backoff.next();
      this.sink.error(failure, wait);
      await this.sleep(wait);
    }
  }

  /** Lists every page at the first page's resourceVersion, then hands the whole list over. */
  private async listAll(live: () => boolean): Promise<void> {
    const items: KubernetesObject[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.lw.list({ limit: this.pageSize, ...(token ? { continue: token } : {}) });
      if (!live()) return;
      for (const item of page.items ?? []) {
        trimForCache(item);
        items.push(item);
      }
      resourceVersion = page.metadata.resourceVersion;
      token = page.metadata.continue || undefined;
    } while (token);
    this.sink.replace(items);
    this.resourceVersion = resourceVersion;
  }

  /** One watch, from this.resourceVersion; resolves with how it ended (null: ended or stopped). */
  private watchOnce(live: () => boolean): Promise<unknown> {
    return new Promise((resolve) => {
      let ended = false;
      let controller: AbortController | undefined;
      let events = 0;
      const startedAt = Date.now();
      const end = (err: unknown) => {
        if (ended) return;
        ended = true;
        this.interrupt = undefined;
        controller?.abort();
        // client-go's "very short watch": an apiserver that ends every watch at once would loop.
        const ms = Date.now() - startedAt;
        if (err === null && events === 0 && ms < 1000 && live())
          return resolve(new Error(`the watch ended after ${ms} ms without an event`));
        resolve(err);
      };
      this.interrupt = () => end(null);
      const onEvent = (type: string, object: unknown) => {
        if (ended) return;
        events += 1;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
          trimForCache(object);
          this.sink.apply(type, object as KubernetesObject);
        } else if (type === 'ERROR') {
          return end(statusError(object));
        } else if (type !== 'BOOKMARK') {
          return end(new Error(`watch: unexpected event type ${type}`));
        }
        const version = (object as KubernetesObject | null)?.metadata?.resourceVersion;
        if (version) this.resourceVersion = version;
      };
      // Spread over 5 to 10 min so that replicas started together do not reconnect together.
      const timeoutSeconds = Math.floor(this.minWatchTimeoutSeconds * (1 + this.random()));
      const options = {
        resourceVersion: this.resourceVersion ?? '',
        allowWatchBookmarks: true,
        timeoutSeconds,
      };
      this.lw.watch(options, onEvent, end).then((accepted) => {
        controller = accepted;
        if (ended) accepted.abort();
        else if (live()) this.sink.watching(true);
      }, end);
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.interrupt = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms).unref();
      this.interrupt = wake;
    });
  }
}

function statusError(object: unknown): WatchStatusError {
  const status = (object ?? {}) as { code?: unknown; message?: unknown; reason?: unknown };
  const code = typeof status.code === 'number' ? status.code : undefined;
  const message =
    typeof status.message === 'string' ? status.message : `watch error ${JSON.stringify(object)}`;
  return new WatchStatusError(code, message, typeof status.reason === 'string' ? status.reason : undefined);
}

/** 410 Gone: the resourceVersion is older than what etcd keeps (an ERROR event or the answer). */
function isExpired(err: unknown): boolean {
  const { code, statusCode } = (err ?? {}) as { code?: unknown; statusCode?: unknown };
  return code === 410 || statusCode === 410;
}

/** The Retry-After of a 429 or 503 answer (seconds, as the apiserver sends it), at most `maxMs`. */
function retryAfterMs(err: unknown, maxMs: number): number | undefined {
  const { code, headers } = (err ?? {}) as { code?: unknown; headers?: Record<string, unknown> };
  if (code !== 429 && code !== 503) return undefined;
  const seconds = Number(headers?.['retry-after']);
  return Number.isInteger(seconds) && seconds > 0 ? Math.min(seconds * 1000, maxMs) : undefined;
}

function isIdleTimeout(err: unknown): boolean {
  return err instanceof Error && err.name === 'TimeoutError';
}
