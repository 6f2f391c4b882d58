import type { KubernetesObject } from '@kubernetes/client-node';

export interface ListOptions {
  limit: number;
  /** The previous page's continue token. */
  continue?: string;
  resourceVersion?: string;
}

export interface ListPage {
  items: KubernetesObject[];
  metadata: { resourceVersion: string; continue?: string };
}

export interface WatchOptions {
  resourceVersion: string;
  allowWatchBookmarks: boolean;
  timeoutSeconds?: number;
}

/** One event of a watch: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, and its object. */
export type WatchEventHandler = (type: string, object: unknown) => void;

/**
 * What a Reflector lists and watches (client-go's cache.ListerWatcher). `watch` has the contract
 * of KubeHttp.watch: `done` exactly once, with null when the stream ended or was aborted, an
 * Error named TimeoutError after a silence, another error when refused or cut; the promise
 * settles once the apiserver answered.
 */
export interface ListerWatcher {
  list(options: ListOptions): Promise<ListPage>;
  watch(
    options: WatchOptions,
    onEvent: WatchEventHandler,
    done: (err: unknown) => void,
  ): Promise<AbortController>;
}
