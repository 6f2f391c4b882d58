import {
  type AppAccess,
  connect,
  describeWatchError,
  ForbiddenReporter,
  Informer,
  type Kube,
  type KubeHttpOptions,
  type ListerWatcher,
  type Logger,
  whoAmI,
} from '@guitars/shared';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Controller } from './controller.js';
import { EventRecorder } from './event-recorder.js';
import { type LeaderElectionOptions, LeaderElector } from './leader-election.js';
import { createMetrics, type Metrics } from './metrics.js';
import { close, createProbesServer, listen } from './probes.js';
import { defaultControllerRateLimiter } from './rate-limiter.js';
import type { Reconciler } from './reconciler.js';
import { WorkQueue } from './work-queue.js';

/** What the kit lends the reconciler: the cluster, the cache, the event recorder. */
export interface KitTools<T extends KubernetesObject> {
  kube: Kube;
  informer: Informer<T>;
  recorder: Pick<EventRecorder, 'record'>;
  metrics: Metrics;
  forbidden: ForbiddenReporter;
}

export interface KitOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  logger: Logger;
  /** One object of the kind, in log lines and metric help: `guitar`. */
  kind: string;
  /** The metric names' prefix: `guitars` gives guitars_workqueue_depth, ... */
  metricsPrefix: string;
  /** What to list and watch: `kube.guitars.select(...)`, `kube.resources(...)`. */
  source(kube: Kube): ListerWatcher;
  reconciler(tools: KitTools<T>): Reconciler<T>;
  workers: number;
  probes: { host: string; port: number };
  /** source.component of Events and the Lease holder's instance. */
  events: { component: string; instance: string; qps: number; burst: number };
  /** Without it, this replica leads at once. */
  leaderElection?: Omit<LeaderElectionOptions, 'forbidden'>;
  /** The roles that grant what the app uses: a 403 names them in the log and /readyz. */
  access?: AppAccess;
  /** Runs before the informer starts, while the probes answer (the Guitar app installs its CRD). */
  beforeStart?(tools: KitTools<T>, signal: AbortSignal): Promise<void>;
  /** Said with a 404 on the list, e.g. "is the CRD installed?". */
  notFoundHint?: string;
  shutdownTimeoutMs: number;
  /** Transport settings; tests shorten the watch idle timeout instead of waiting 30 s. */
  http?: KubeHttpOptions;
}

export interface RunningController {
  /** The port serving /healthz, /readyz and /metrics. */
  probePort: number;
  metrics: Metrics;
  ready(): boolean;
  /** Graceful stop: no new work, reconciles in flight finished, events flushed, lease released. */
  stop(): Promise<void>;
}

/**
 * Runs a Reconciler the way client-go's controllers run: probes, informer → queue → workers →
 * reconcile, events, and leader election, from one connection pool. The kind-specific parts are
 * the options: what to watch, the reconciler, names.
 */
export async function runController<T extends KubernetesObject>(
  options: KitOptions<T>,
): Promise<RunningController> {
  const { kc, logger, kind } = options;
  const metrics = createMetrics(options.metricsPrefix, kind);
  const starting = new AbortController();
  const kube = connect(kc, options.http);
  const listWatch = `${kind} list/watch`;

  const informer = new Informer<T>(options.source(kube), {
    minBackoffMs: 500,
    // client-go's reflector goes up to 30 s; 10 s resumes sooner after an outage, still no tight loop.
    maxBackoffMs: 10_000,
  });
  // A 403 says who we run as and how to fix it, once in the log and in /readyz while it lasts;
  // a replica refused its list or its Lease cannot do its job, so it is not ready either.
  const forbidden = new ForbiddenReporter({
    logger,
    access: options.access ?? { app: options.events.component, namespace: '', grants: [] },
    whoAmI: () => whoAmI(kc, kube),
  });
  const ready = () => informer.hasSynced() && forbidden.problems().length === 0;
  const server = createProbesServer({
    ready,
    problems: () => {
      const problems = forbidden.problems();
      return problems.length > 0 || informer.hasSynced() ? problems : [`${kind} cache not synced`];
    },
    registry: metrics.registry,
  });
  const probePort = await listen(server, options.probes.host, options.probes.port);
  logger.info(
    { port: probePort, host: options.probes.host || '(every address)' },
    'serving /healthz, /readyz and /metrics',
  );

  informer.onError((err, retryInMs) => {
    metrics.watchRestarts.inc();
    if (forbidden.report(listWatch, err)) return;
    const failure = describeWatchError(err);
    const hint = failure.status === 404 ? options.notFoundHint : undefined;
    logger.warn({ ...failure, retryInMs, hint }, `${listWatch} failed; restarting with backoff`);
  });
  informer.onRelist((objects) => {
    metrics.relists.inc();
    logger.info({ objects }, `${kind} watch fell behind (410 Gone); cache relisted`);
  });
  informer.onSyncChange((synced) => {
    if (synced) forbidden.clear(listWatch);
    metrics.cacheSynced.set(synced ? 1 : 0);
    logger.info(
      { synced, objects: informer.list().length },
      synced ? `${kind} cache in sync` : `${kind} cache out of sync`,
    );
  });

  const queue = new WorkQueue(defaultControllerRateLimiter(), {
    onAdd: () => metrics.queueAdds.inc(),
    onDepthChange: (depth) => metrics.queueDepth.set(depth),
  });
  const recorder = new EventRecorder(kube.events, logger, metrics, {
    ...options.events,
    // Reconciles come first, those in flight too: else the last ones of a backlog meet the whole
    // event burst.
    busy: () => queue.len() > 0 || queue.inFlight() > 0,
  });
  const tools: KitTools<T> = { kube, informer, recorder, metrics, forbidden };
  const controller = new Controller<T>({
    cache: informer,
    queue,
    reconciler: options.reconciler(tools),
    logger,
    metrics,
    workers: options.workers,
  });

  // Workers start once the cache has synced (client-go's WaitForCacheSync), and only as leader.
  let leadership = 0;
  const lead = () => {
    const term = ++leadership;
    metrics.leader.set(1);
    metrics.leaderTransitions.inc();
    void informer.waitForSync().then(() => {
      if (term === leadership && !starting.signal.aborted) controller.startWorkers();
    });
  };
  const standBy = async () => {
    leadership += 1;
    metrics.leader.set(0);
    await controller.stopWorkers();
  };

  let elector: LeaderElector | undefined;
  const campaign = () => {
    const election = options.leaderElection;
    if (!election) return lead();
    elector = new LeaderElector(kube.leases, logger, { ...election, forbidden });
    logger.info(
      { identity: election.identity, lease: `${election.namespace}/${election.name}` },
      'campaigning for leadership',
    );
    elector.run({ onStartedLeading: lead, onStoppedLeading: () => void standBy() });
  };

  // beforeStart (the CRD install, which waits out an unreachable apiserver) runs in the
  // background, so the probes answer and a stop is honoured meanwhile.
  void (options.beforeStart?.(tools, starting.signal) ?? Promise.resolve()).then(() => {
    if (starting.signal.aborted) return;
    void informer.start();
    campaign();
  });

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    starting.abort();
    const deadline = Date.now() + options.shutdownTimeoutMs;
    // Stop work before giving up the lease, so two replicas never reconcile at once.
    if (elector) await elector.stop(standBy);
    else await standBy();
    queue.shutDown();
    await recorder.flush(Math.max(0, Math.min(5_000, deadline - Date.now())));
    // No reconcile is in flight, no event is queued, the lease is released (elector.stop above),
    // the watch is stopped: nothing uses the pool any more.
    await informer.stop();
    kube.close();
    await close(server);
  };

  return {
    probePort,
    metrics,
    ready,
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}
