import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * A controller's Prometheus metrics, in a registry of its own (not prom-client's global one), so
 * tests and embedders can create as many as they like. Names start with `prefix` (`guitars` gives
 * guitars_workqueue_depth, ...); `kind` names one object in the help texts. A reconciler adds
 * metrics of its own to `registry`.
 */
export function createMetrics(prefix: string, kind: string) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    reconcileErrors: new Counter({
      name: `${prefix}_reconcile_errors_total`,
      help: 'Reconciles that failed and were retried with backoff, by reason (conflict, transient, forbidden, other).',
      labelNames: ['reason'] as const,
      registers,
    }),
    skipped: new Counter({
      name: `${prefix}_skipped_total`,
      help: `Objects (${kind}) left unreconciled by a terminal error, by reason; never retried.`,
      labelNames: ['reason'] as const,
      registers,
    }),
    reconcileDuration: new Histogram({
      name: `${prefix}_reconcile_duration_seconds`,
      help: `Time to reconcile one ${kind}, by result (the reconciler's outcome, skipped, error).`,
      labelNames: ['result'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueDepth: new Gauge({
      name: `${prefix}_workqueue_depth`,
      help: `${kind} keys waiting in the work queue.`,
      registers,
    }),
    queueAdds: new Counter({
      name: `${prefix}_workqueue_adds_total`,
      help: 'Keys added to the work queue (not counting duplicates of a key already queued).',
      registers,
    }),
    queueRetries: new Counter({
      name: `${prefix}_workqueue_retries_total`,
      help: 'Keys put back in the work queue with backoff after a failure.',
      registers,
    }),
    watchRestarts: new Counter({
      name: `${prefix}_watch_restarts_total`,
      help: `Times the ${kind} list/watch failed and was restarted with backoff.`,
      registers,
    }),
    relists: new Counter({
      name: `${prefix}_relists_total`,
      help: `Times the ${kind} cache was rebuilt from a fresh list because its watch fell too far behind (410 Gone).`,
      registers,
    }),
    cacheSynced: new Gauge({
      name: `${prefix}_cache_synced`,
      help: `1 while the ${kind} cache is listed and watching, else 0 (readiness follows it).`,
      registers,
    }),
    leader: new Gauge({
      name: `${prefix}_leader`,
      help: '1 while this replica holds the leader lease (or runs without leader election), else 0.',
      registers,
    }),
    leaderTransitions: new Counter({
      name: `${prefix}_leader_transitions_total`,
      help: 'Times this replica became leader.',
      registers,
    }),
    events: new Counter({
      name: `${prefix}_events_total`,
      help: 'Kubernetes Events, by result (created, aggregated: an existing event counted up, dropped: rate-limited or queue full, failed).',
      labelNames: ['result'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
