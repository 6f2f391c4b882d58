import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';
import { apiMessage, apiStatus } from './kube/errors.js';
import { KubeHttp } from './kube/http.js';
import { guitarPath } from './kube/paths.js';

export interface GuitarInformerOptions {
  /** Watch one namespace; all namespaces when absent. */
  namespace?: string;
  /** Only guitars matching this label selector. */
  labelSelector?: string;
  /** First and largest wait before restarting a failed list or watch. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Guitars per page of the list (client-go's reflector lists 500 at a time). */
  pageSize?: number;
}

export type InformerEvent = 'add' | 'update' | 'delete';

/**
 * A list-then-watch cache of guitars that survives a faulty cluster.
 *
 * client-node's ListWatch relists on 410 Gone and reconnects after a normal end or a client-side
 * timeout, but on any other error (a refused connection, an apiserver restart, a failed list, a
 * 403) it emits `error` and stays stopped. This wrapper restarts it with exponential backoff and
 * tracks whether the cache is in sync, for readiness probes. Objects are typed KubernetesObject,
 * not Guitar: the cluster may hold objects written before the schema, so consumers check them
 * (see isGuitar).
 *
 * The list and the watch go over KubeHttp, not client-node's fetch: a third of the CPU per event,
 * and the list comes in pages (500 guitars, like client-go's reflector) instead of one body of
 * 10 MB at 10,000 guitars, which V8 held as one string while it was parsed.
 */
export class GuitarInformer {
  private readonly listWatch: ListWatch<KubernetesObject>;
  private readonly http: KubeHttp;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private backoffMs: number;
  private listed = false;
  private connected = false;
  private stopped = true;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly errorHandlers: Array<(err: unknown, retryInMs: number) => void> = [];
  private readonly relistHandlers: Array<(guitars: number) => void> = [];
  private readonly syncHandlers: Array<(synced: boolean) => void> = [];

  constructor(kc: KubeConfig, options: GuitarInformerOptions = {}) {
    this.minBackoffMs = options.minBackoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.backoffMs = this.minBackoffMs;
    this.http = new KubeHttp(kc);
    const { namespace, labelSelector } = options;
    const pageSize = String(options.pageSize ?? 500);
    const path = guitarPath(namespace);
    const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      const items: KubernetesObject[] = [];
      let page: KubernetesListObject<KubernetesObject>;
      let token: string | undefined;
      do {
        page = await this.http.request<KubernetesListObject<KubernetesObject>>({
          method: 'GET',
          path,
          query: { labelSelector, limit: pageSize, continue: token },
        });
        for (const item of page.items) {
          trimForCache(item);
          items.push(item);
        }
        // The raw JSON's `continue` (client-node's model renames it `_continue`).
        token = (page.metadata as { continue?: string } | undefined)?.continue;
      } while (token);
      // ListWatch lists again only when it has no resourceVersion to watch from: its watch fell
      // too far behind (410 Gone). A restart after any other failure resumes the watch instead.
      const relisted = this.listed;
      // ListWatch files the items into its cache right after this promise settles, in a
      // microtask; a macrotask later the cache holds the whole list.
      setImmediate(() => {
        this.listed = true;
        if (relisted) for (const handler of this.relistHandlers) handler(items.length);
      });
      // Every page is read at the first page's resourceVersion: the list's.
      return { ...page, items };
    };
    const watch = new ObservedWatch(kc, this.http, () => this.onConnected());
    this.listWatch = new ListWatch(path, watch, list, false, labelSelector);
    this.listWatch.on('error', (err: unknown) => this.handleFailure(err));
  }

  /** Starts listing and watching; resolves once the cache has synced (or stop() was called). */
  async start(): Promise<void> {
    if (!this.stopped) return this.waitForSync();
    this.stopped = false;
    void this.listWatch.start();
    return this.waitForSync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.setConnected(false);
    await this.listWatch.stop();
    this.http.close();
  }

  /** True once the first list has landed and the watch is connected; false while restarting. */
  hasSynced(): boolean {
    return this.listed && this.connected;
  }

  on(event: InformerEvent, handler: (obj: KubernetesObject) => void): void {
    this.listWatch.on(event, handler);
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
  onRelist(handler: (guitars: number) => void): void {
    this.relistHandlers.push(handler);
  }

  /** Called when the cache goes in or out of sync. */
  onSyncChange(handler: (synced: boolean) => void): void {
    this.syncHandlers.push(handler);
  }

  get(namespace: string, name: string): KubernetesObject | undefined {
    return this.listWatch.get(name, namespace);
  }

  list(namespace?: string): ReadonlyArray<KubernetesObject> {
    return this.listWatch.list(namespace);
  }

  /** Resolves when the cache is in sync, or at once if it is stopped. */
  waitForSync(): Promise<void> {
    if (this.hasSynced() || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const handler = (synced: boolean) => {
        if (synced || this.stopped) {
          this.syncHandlers.splice(this.syncHandlers.indexOf(handler), 1);
          resolve();
        }
      };
      this.syncHandlers.push(handler);
    });
  }

  private onConnected(): void {
    // The first watch follows the first list; wait for the list to be filed before saying so.
    setImmediate(() => {
      if (this.stopped) return;
      this.backoffMs = this.minBackoffMs;
      this.setConnected(true);
    });
  }

  private handleFailure(err: unknown): void {
    this.setConnected(false);
    if (this.stopped) return;
    const retryInMs = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
    for (const handler of this.errorHandlers) handler(err, retryInMs);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.stopped) void this.listWatch.start();
    }, retryInMs);
    this.restartTimer.unref();
  }

  private setConnected(connected: boolean): void {
    const before = this.hasSynced();
    this.connected = connected;
    const after = this.hasSynced();
    if (before !== after) for (const handler of [...this.syncHandlers]) handler(after);
  }
}

/**
 * The Watch that ListWatch drives: over KubeHttp, trimming each object before it is cached, and
 * reporting each connection that the apiserver accepted.
 */
class ObservedWatch extends Watch {
  constructor(
    kc: KubeConfig,
    private readonly http: KubeHttp,
    private readonly connectedHook: () => void,
  ) {
    super(kc);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    let failed = false;
    const trimmed = (phase: string, apiObj: unknown, watchObj?: unknown) => {
      trimForCache(apiObj);
      callback(phase, apiObj, watchObj);
    };
    // Bookmarks keep the resourceVersion ListWatch resumes from fresh while nothing changes, so
    // watching again after a quiet spell does not end in 410 Gone and a relist.
    const query = { ...queryParams, allowWatchBookmarks: true };
    const controller = await this.http.watch(path, query, trimmed, (err: unknown) => {
      if (err) failed = true;
      done(err);
    });
    if (!failed) this.connectedHook();
    return controller;
  }
}

/**
 * Drops what no consumer of the cache reads before it is cached, like client-go's
 * TransformStripManagedFields: managedFields is the largest part of a guitar (one entry per
 * writer, the creator and the controller at least) and would be held for every cached guitar.
 */
export function trimForCache(obj: unknown): void {
  const metadata = (obj as { metadata?: { managedFields?: unknown } } | null)?.metadata;
  // Not `delete`: V8 turns an object that loses a property into a hash table, ~500 bytes more
  // for each of 10,000 cached guitars (heap snapshot: 6.5 MB of them).
  if (metadata && typeof metadata === 'object' && metadata.managedFields !== undefined)
    metadata.managedFields = undefined;
}

/** A short description of an informer failure, for logs. */
export function describeWatchError(err: unknown): { status: number | undefined; message: string } {
  return { status: apiStatus(err), message: apiMessage(err) };
}
