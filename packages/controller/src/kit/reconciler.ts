import type { KubernetesObject } from '@kubernetes/client-node';

/**
 * What a reconcile asks of the kit next. `requeueAfterMs`: look at this key again then, even if
 * nothing changes (a poll, a wait for something outside the cluster). `outcome` labels the
 * reconcile in `<prefix>_reconcile_duration_seconds{result}` (default `done` or `requeued`).
 */
export interface Result {
  requeueAfterMs?: number;
  outcome?: string;
}

/** Done: nothing more to do until the object changes. */
export const done = (outcome?: string): Result => (outcome ? { outcome } : {});

/** Done for now: reconcile this key again after `ms`, changed or not. */
export const requeueAfter = (ms: number): Result => ({ requeueAfterMs: ms });

/**
 * An error that retrying cannot fix (an object the reconciler cannot use, a write the apiserver
 * refuses as invalid): the kit logs it, counts it in `<prefix>_skipped_total{reason}` and drops
 * the key until the object changes. Any other error thrown is retried with backoff.
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  constructor(
    message: string,
    /** The `reason` label of the skipped counter, e.g. `invalid`. */
    readonly reason: string,
    /** Fields for the log line, besides the object's namespace and name. */
    readonly details: Record<string, unknown> = {},
    /** warn for an object the user can fix; error for what the apiserver refused. */
    readonly level: 'warn' | 'error' = 'warn',
  ) {
    super(message);
  }
}

/**
 * The one thing a controller writes: bring one object to its desired state (controller-runtime's
 * `Reconcile(ctx, req) (Result, error)`). `obj` is the informer's copy, undefined once the object
 * is deleted; `key` is `namespace/name`. Throw to retry with backoff; throw a TerminalError not to.
 * One key is never reconciled by two workers at once.
 */
export interface Reconciler<T extends KubernetesObject = KubernetesObject> {
  reconcile(obj: T | undefined, key: string): Promise<Result>;
}
