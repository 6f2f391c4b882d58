import type { KubernetesObject } from '@kubernetes/client-node';
import { apiMessage, apiStatus } from '../kube/errors.js';
import type { ListerWatcher } from './lister-watcher.js';
import { Reflector } from './reflector.js';
import { type Delta, Store } from './store.js';

export { trimForCache } from './store.js';

export interface InformerOptions {
  /** The first wait before retrying a failed list or watch (before jitter; default 800 ms). */
  minBackoffMs?: number;
  /** The largest wait, jitter included (default 30 s). */
  maxBackoffMs?: number;
  /** Objects per page of the list (client-go's reflector lists 500 at a time). */
  pageSize?: number;
}

export type InformerEvent = 'add' | 'update' | 'delete';

/** `obj` is the object as now (for a delete: its last state); `old` what an update replaced. */
export type InformerHandler<T extends KubernetesObject = KubernetesObject> = (obj: T, old?: T) => void;

/**
 * A list-then-watch cache of one kind that survives a faulty cluster: client-go's informer, a
 * Reflector (reflector.ts) filing into a Store (store.ts) and telling handlers what changed. It
 * tracks whether the cache is in sync, for readiness probes, and says why each failure happened
 * and when it will try again. `T` is what the cluster is expected to hold, not checked: it may
 * hold objects written before the schema, so consumers check them (for guitars, see isGuitar);
 * the Guitar apps keep the default, KubernetesObject.
 *
 * The list and the watch go over KubeHttp, not client-node's fetch: a third of the CPU per event,
 * and the list comes in pages instead of one body of 10 MB at 10,000 guitars.
 */
export class Informer<T extends KubernetesObject = KubernetesObject> {
  private readonly store = new Store();
  private readonly reflector: Reflector;
  private listed = false;
  private watching = false;
  private stopped = true;
  private readonly handlers: Record<InformerEvent, InformerHandler<T>[]> = {
    add: [],
    update: [],
    delete: [],
  };
  private readonly errorHandlers: Array<(err: unknown, retryInMs: number) => void> = [];
  private readonly relistHandlers: Array<(objects: number) => void> = [];
  private readonly syncHandlers: Array<(synced: boolean) => void> = [];
  /** waitForSync's callers: woken by a sync or a stop (which is no change of sync). */
  private syncWaiters: Array<() => void> = [];

  /**
   * `source` is what to list and watch: `kube.guitars`, `kube.guitars.select(...)` for one
   * namespace or a label selector, or `kube.resources(...)` for another kind. The connection is
   * the caller's to close, after stop().
   */
  constructor(source: ListerWatcher, options: InformerOptions = {}) {
    this.reflector = new Reflector(
      source,
      {
        replace: (items) => this.replace(items),
        apply: (type, obj) => {
          const delta = type === 'DELETED' ? this.store.delete(obj) : this.store.upsert(obj);
          if (delta) this.dispatch(delta);
        },
        watching: (watching) => this.setWatching(watching),
        error: (err, retryInMs) => {
          for (const handler of this.errorHandlers) handler(err, retryInMs);
        },
      },
      { pageSize: options.pageSize, minBackoffMs: options.minBackoffMs, maxBackoffMs: options.maxBackoffMs },
    );
  }

  /** Starts listing and watching; resolves once the cache has synced (or stop() was called). */
  async start(): Promise<void> {
    if (!this.stopped) return this.waitForSync();
    this.stopped = false;
    this.reflector.run();
    return this.waitForSync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reflector.stop();
    this.setWatching(false);
    this.wakeWaiters();
  }

  /** True once the first list has landed and a watch is open; false while restarting or relisting. */
  hasSynced(): boolean {
    return this.listed && this.watching;
  }

  /** `update` handlers also get the object replaced; no consumer needs it today. */
  on(event: InformerEvent, handler: InformerHandler<T>): void {
    this.handlers[event].push(handler);
  }

  /** Called on every failure with the wait before the next try. */
  onError(handler: (err: unknown, retryInMs: number) => void): void {
    this.errorHandlers.push(handler);
  }

  /**
   * Called when the cache was rebuilt from a fresh list (after the first), with its size: the
   * watch fell behind what the apiserver keeps (410 Gone), and changes missed meanwhile were
   * taken from the list. Not an error, but a sign of a watch that keeps falling behind.
   */
  onRelist(handler: (objects: number) => void): void {
    this.relistHandlers.push(handler);
  }

  /** Called when the cache goes in or out of sync. */
  onSyncChange(handler: (synced: boolean) => void): void {
    this.syncHandlers.push(handler);
  }

  get(namespace: string, name: string): T | undefined {
    return this.store.get(namespace, name) as T | undefined;
  }

  list(namespace?: string): ReadonlyArray<T> {
    return this.store.list(namespace) as T[];
  }

  /** Resolves when the cache is in sync, or at once if it is stopped. */
  waitForSync(): Promise<void> {
    if (this.hasSynced() || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  private replace(items: KubernetesObject[]): void {
    const relisted = this.listed;
    for (const delta of this.store.replace(items)) this.dispatch(delta);
    this.listed = true;
    if (relisted) for (const handler of this.relistHandlers) handler(items.length);
  }

  private dispatch(delta: Delta): void {
    const old = delta.type === 'update' ? delta.old : undefined;
    for (const handler of this.handlers[delta.type]) handler(delta.object as T, old as T | undefined);
  }

  private setWatching(watching: boolean): void {
    const before = this.hasSynced();
    this.watching = watching && !this.stopped;
    const after = this.hasSynced();
    if (before === after) return;
    for (const handler of this.syncHandlers) handler(after);
    if (after) this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** A short description of an informer failure, for logs. */
export function describeWatchError(err: unknown): { status: number | undefined; message: string } {
  return { status: apiStatus(err), message: apiMessage(err) };
}
