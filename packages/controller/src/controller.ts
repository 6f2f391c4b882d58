import {
  apiMessage,
  apiStatus,
  type GuitarCache,
  guitarKey,
  isTransient,
  type Logger,
  splitKey,
} from '@guitars/shared';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Metrics } from './metrics.js';
import type { Reconcile } from './reconcile.js';
import type { WorkQueue } from './work-queue.js';

export interface ControllerDeps {
  /** The informer: its events queue keys; its list is queued again when workers start. */
  cache: Pick<GuitarCache, 'on' | 'list'>;
  queue: WorkQueue;
  reconcile: Reconcile;
  logger: Logger;
  metrics: Pick<Metrics, 'reconcileErrors' | 'reconcileDuration' | 'queueRetries'>;
  /** Workers reviewing guitars in parallel; one key is never worked on by two at once. */
  workers: number;
}

/**
 * kubernetes/sample-controller's Controller: the informer's handlers queue guitar keys, N workers
 * take them one at a time and reconcile them; a failure puts the key back with backoff, a success
 * forgets its failures. Workers run only while this replica leads (startWorkers/stopWorkers); the
 * informer and the queue keep running in between so a new leader starts with a warm cache.
 */
export class Controller {
  private running: { abort: AbortController; workers: Promise<void>[] } | undefined;

  constructor(private readonly deps: ControllerDeps) {
    const enqueue = (obj: KubernetesObject) => deps.queue.add(guitarKey(obj));
    deps.cache.on('add', enqueue);
    deps.cache.on('update', enqueue);
    // A deleted guitar needs no review, but its key lets reconcile forget what it remembered.
    deps.cache.on('delete', enqueue);
  }

  /** Starts the workers, after queueing every cached guitar (those changed while we were not working). */
  startWorkers(): void {
    if (this.running) return;
    for (const obj of this.deps.cache.list()) this.deps.queue.add(guitarKey(obj));
    const abort = new AbortController();
    const workers = Array.from({ length: this.deps.workers }, () => this.worker(abort.signal));
    this.running = { abort, workers };
    this.deps.logger.info({ workers: this.deps.workers }, 'workers started');
  }

  /** Stops taking keys and resolves when the reviews in flight are finished. */
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
    const { queue, metrics, logger } = this.deps;
    const endTimer = metrics.reconcileDuration.startTimer();
    try {
      const result = await this.deps.reconcile(key);
      queue.forget(key);
      endTimer({
        result: result === 'reviewed' ? 'reviewed' : result === 'unchanged' ? 'unchanged' : 'skipped',
      });
    } catch (err) {
      endTimer({ result: 'error' });
      const reason = errorReason(err);
      metrics.reconcileErrors.inc({ reason });
      metrics.queueRetries.inc();
      const retries = queue.retries(key);
      // A conflict is the optimistic lock doing its job: the retry works on the fresh object.
      const level = reason === 'conflict' ? 'info' : 'warn';
      logger[level](
        { ...splitKey(key), reason, status: apiStatus(err), retries, err: apiMessage(err) },
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
