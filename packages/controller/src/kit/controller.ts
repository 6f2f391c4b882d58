import {
  apiMessage,
  apiStatus,
  guitarKey,
  type Informer,
  isTransient,
  type Logger,
  splitKey,
} from '@guitars/shared';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Metrics } from './metrics.js';
import { type Reconciler, TerminalError } from './reconciler.js';
import type { WorkQueue } from './work-queue.js';

export interface ControllerDeps<T extends KubernetesObject> {
  /** The informer: its events queue keys, its list is queued when workers start, reconcile reads it. */
  cache: Pick<Informer<T>, 'on' | 'list' | 'get'>;
  queue: WorkQueue;
  reconciler: Reconciler<T>;
  logger: Logger;
  metrics: Pick<Metrics, 'reconcileErrors' | 'reconcileDuration' | 'queueRetries' | 'skipped'>;
  /** Workers reconciling in parallel; one key is never worked on by two at once. */
  workers: number;
}

/**
 * kubernetes/sample-controller's Controller: the informer's handlers queue keys, N workers take
 * them one at a time and hand the cached object to the Reconciler; an error puts the key back with
 * backoff, a TerminalError drops it, a success forgets its failures. Workers run only while this
 * replica leads (startWorkers/stopWorkers); the informer and the queue keep running in between so
 * a new leader starts with a warm cache.
 */
export class Controller<T extends KubernetesObject> {
  private running: { abort: AbortController; workers: Promise<void>[] } | undefined;

  constructor(private readonly deps: ControllerDeps<T>) {
    const enqueue = (obj: KubernetesObject) => deps.queue.add(guitarKey(obj));
    deps.cache.on('add', enqueue);
    deps.cache.on('update', enqueue);
    // A deleted object's key still goes to the reconciler (with no object), to clean up after it.
    deps.cache.on('delete', enqueue);
  }

  /** Starts the workers, after queueing every cached object (those changed while we were not working). */
  startWorkers(): void {
    if (this.running) return;
    for (const obj of this.deps.cache.list()) this.deps.queue.add(guitarKey(obj));
    const abort = new AbortController();
    const workers = Array.from({ length: this.deps.workers }, () => this.worker(abort.signal));
    this.running = { abort, workers };
    this.deps.logger.info({ workers: this.deps.workers }, 'workers started');
  }

  /** Stops taking keys and resolves when the reconciles in flight are finished. */
  async stopWorkers(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    running.abort.abort();
    await Promise.all(running.workers);
    this.deps.logger.info('workers stopped');
  }

  private async worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.deps.queue.get(signal);
      if (key === undefined) return;
      await this.processItem(key);
    }
  }

  private async processItem(key: string): Promise<void> {
    const { queue, metrics, logger, cache } = this.deps;
    const endTimer = metrics.reconcileDuration.startTimer();
    const { namespace, name } = splitKey(key);
    try {
      const result = await this.deps.reconciler.reconcile(cache.get(namespace, name), key);
      queue.forget(key);
      if (result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
      endTimer({ result: result.outcome ?? (result.requeueAfterMs === undefined ? 'done' : 'requeued') });
    } catch (err) {
      if (err instanceof TerminalError) {
        // Retrying cannot help: say so once; the object's next change queues the key again.
        endTimer({ result: 'skipped' });
        queue.forget(key);
        metrics.skipped.inc({ reason: err.reason });
        logger[err.level]({ namespace, name, reason: err.reason, ...err.details }, err.message);
        return;
      }
      endTimer({ result: 'error' });
      const reason = errorReason(err);
      metrics.reconcileErrors.inc({ reason });
      metrics.queueRetries.inc();
      const retries = queue.retries(key);
      // A conflict is the optimistic lock doing its job: the retry works on the fresh object.
      const level = reason === 'conflict' ? 'info' : 'warn';
      logger[level](
        { namespace, name, reason, status: apiStatus(err), retries, err: apiMessage(err) },
        `reconcile failed, retrying with backoff: ${apiMessage(err)}`,
      );
      queue.addRateLimited(key);
    } finally {
      queue.done(key);
    }
  }
}

function errorReason(err: unknown): 'conflict' | 'transient' | 'forbidden' | 'other' {
  const status = apiStatus(err);
  if (status === 409) return 'conflict';
  if (status === 401 || status === 403) return 'forbidden';
  if (isTransient(err)) return 'transient';
  return 'other';
}
