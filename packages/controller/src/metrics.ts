import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The controller's Prometheus metrics, in a registry of its own (not prom-client's global one),
 * so tests and embedders can create as many as they like.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    reviews: new Counter({
      name: 'guitars_reviews_total',
      help: 'Reviews written, by verdict; each is exactly one patch of a guitar.',
      labelNames: ['verdict'] as const,
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'guitars_reconcile_errors_total',
      help: 'Reconciles that failed and were retried with backoff, by reason (conflict, transient, forbidden, other).',
      labelNames: ['reason'] as const,
      registers,
    }),
    skipped: new Counter({
      name: 'guitars_skipped_total',
      help: 'Guitars left unreviewed, by reason (invalid: not a usable Guitar; rejected: the apiserver refused the review).',
      labelNames: ['reason'] as const,
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'guitars_reconcile_duration_seconds',
      help: 'Time to reconcile one guitar, by result (reviewed, unchanged, skipped, error).',
      labelNames: ['result'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'guitars_workqueue_depth',
      help: 'Guitar keys waiting in the work queue.',
      registers,
    }),
    queueAdds: new Counter({
      name: 'guitars_workqueue_adds_total',
      help: 'Keys added to the work queue (not counting duplicates of a key already queued).',
      registers,
    }),
    queueRetries: new Counter({
      name: 'guitars_workqueue_retries_total',
      help: 'Keys put back in the work queue with backoff after a failure.',
      registers,
    }),
    watchRestarts: new Counter({
      name: 'guitars_watch_restarts_total',
      help: 'Times the guitar list/watch failed and was restarted with backoff.',
      registers,
    }),
    relists: new Counter({
      name: 'guitars_relists_total',
      help: 'Times the guitar cache was rebuilt from a fresh list because its watch fell too far behind (410 Gone).',
      registers,
    }),
    cacheSynced: new Gauge({
      name: 'guitars_cache_synced',
      help: '1 while the guitar cache is listed and watching, else 0 (readiness follows it).',
      registers,
    }),
    leader: new Gauge({
      name: 'guitars_leader',
      help: '1 while this replica holds the leader lease (or runs without leader election), else 0.',
      registers,
    }),
    leaderTransitions: new Counter({
      name: 'guitars_leader_transitions_total',
      help: 'Times this replica became leader.',
      registers,
    }),
    events: new Counter({
      name: 'guitars_events_total',
      help: 'Kubernetes Events, by result (created, aggregated: an existing event counted up, dropped: rate-limited or queue full, failed).',
      labelNames: ['result'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
