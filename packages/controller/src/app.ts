import {
  connect,
  contextNamespace,
  describeWatchError,
  ForbiddenReporter,
  GuitarInformer,
  type KubeHttpOptions,
  type Logger,
  whoAmI,
} from '@guitars/shared';
import type { KubeConfig } from '@kubernetes/client-node';
import { CONTROLLER_ACCESS } from './access.js';
import type { ControllerConfig } from './config.js';
import { Controller } from './controller.js';
import { installCrd } from './crd-install.js';
import { EventRecorder } from './events.js';
import { LeaderElector } from './leader-election.js';
import { createMetrics, type Metrics } from './metrics.js';
import { guitarPatcher } from './patch.js';
import { close, createProbesServer, listen } from './probes.js';
import { defaultControllerRateLimiter } from './rate-limiter.js';
import { reconciler } from './reconcile.js';
import { type ReviewPolicy, reviewer } from './review-policy.js';
import { WorkQueue } from './work-queue.js';

export const COMPONENT = 'guitars-controller';
/** The call an informer refusal is filed under (ForbiddenReporter). */
const LIST_WATCH = 'guitar list/watch';

export interface ControllerAppDeps {
  config: ControllerConfig;
  kc: KubeConfig;
  logger: Logger;
  policy: ReviewPolicy;
  /** Transport settings; tests shorten the watch idle timeout instead of waiting 30 s. */
  http?: KubeHttpOptions;
}

export interface ControllerApp {
  /** The port serving /healthz, /readyz and /metrics. */
  probePort: number;
  metrics: Metrics;
  ready(): boolean;
  /** Graceful stop: no new work, reviews in flight finished, events flushed, lease released. */
  stop(): Promise<void>;
}

/**
 * Wires the controller from its dependencies: probes, CRD install, informer → queue → workers →
 * reconcile → patch, events, and leader election. main (index.ts) and the tests share it.
 */
export async function startControllerApp(deps: ControllerAppDeps): Promise<ControllerApp> {
  const { config, kc, logger, policy } = deps;
  const metrics = createMetrics();
  const starting = new AbortController();
  // The cluster: one connection pool for the informer, the CRD install, review patches, events
  // and the lease.
  const kube = connect(kc, deps.http);

  const guitars = kube.guitars.select({ namespace: config.namespace, labelSelector: config.labelSelector });
  const informer = new GuitarInformer(guitars, {
    minBackoffMs: 500,
    // client-go's reflector goes up to 30 s; 10 s resumes sooner after an outage, still no tight loop.
    maxBackoffMs: 10_000,
  });
  // A 403 says who we run as and how to fix it, once in the log and in /readyz while it lasts;
  // a replica refused its list or its Lease cannot do its job, so it is not ready either.
  const forbidden = new ForbiddenReporter({
    logger,
    access: CONTROLLER_ACCESS,
    whoAmI: () => whoAmI(kc, kube),
  });
  const ready = () => informer.hasSynced() && forbidden.problems().length === 0;
  const server = createProbesServer({
    ready,
    problems: () => forbidden.problems(),
    registry: metrics.registry,
  });
  const probePort = await listen(server, config.probeHost, config.probePort);
  logger.info(
    { port: probePort, host: config.probeHost || '(every address)' },
    'serving /healthz, /readyz and /metrics',
  );

  informer.onError((err, retryInMs) => {
    metrics.watchRestarts.inc();
    if (forbidden.report(LIST_WATCH, err)) return;
    const failure = describeWatchError(err);
    // A 404 on the list is the CRD missing: the likeliest mistake with --install-crd=false.
    const hint =
      failure.status === 404
        ? 'is the Guitar CRD installed? Apply k8s/base/crd.yaml, or run with --install-crd=true'
        : undefined;
    logger.warn({ ...failure, retryInMs, hint }, 'guitar list/watch failed; restarting with backoff');
  });
  informer.onRelist((guitars) => {
    metrics.relists.inc();
    logger.info({ guitars }, 'guitar watch fell behind (410 Gone); cache relisted');
  });
  informer.onSyncChange((synced) => {
    if (synced) forbidden.clear(LIST_WATCH);
    metrics.cacheSynced.set(synced ? 1 : 0);
    logger.info(
      { synced, guitars: informer.list().length },
      synced ? 'guitar cache in sync' : 'guitar cache out of sync',
    );
  });

  const queue = new WorkQueue(defaultControllerRateLimiter(), {
    onAdd: () => metrics.queueAdds.inc(),
    onDepthChange: (depth) => metrics.queueDepth.set(depth),
  });
  const recorder = new EventRecorder(kube.events, logger, metrics, {
    component: COMPONENT,
    instance: config.identity,
    qps: config.eventQps,
    burst: config.eventBurst,
    // Reviews come first, those in flight too: else the last reviews of a backlog meet the whole
    // event burst (docs/performance-analysis.md#numbers-behind-defaults).
    busy: () => queue.len() > 0 || queue.inFlight() > 0,
  });
  const controller = new Controller({
    cache: informer,
    queue,
    reconcile: reconciler({
      get: (namespace, name) => informer.get(namespace, name),
      patch: guitarPatcher(kube.guitars),
      review: reviewer(policy),
      recorder,
      logger,
      metrics,
    }),
    logger,
    metrics,
    workers: config.workers,
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
    if (!config.leaderElect) return lead();
    const namespace = config.leaderElectionNamespace ?? contextNamespace(kc) ?? 'default';
    elector = new LeaderElector(kube.leases, logger, {
      namespace,
      name: config.leaderElectionId,
      identity: config.identity,
      leaseDurationMs: config.leaseDurationMs,
      renewDeadlineMs: config.renewDeadlineMs,
      retryPeriodMs: config.retryPeriodMs,
      forbidden,
    });
    logger.info(
      { identity: config.identity, lease: `${namespace}/${config.leaderElectionId}` },
      'campaigning for leadership',
    );
    elector.run({ onStartedLeading: lead, onStoppedLeading: () => void standBy() });
  };

  // The CRD install (which waits out an unreachable apiserver) runs in the background, so the
  // probes answer and a stop is honoured meanwhile; the informer and the campaign follow it.
  const install = () => installCrd(kube.crds, logger, starting.signal, (err) => forbidden.explain(err));
  void (config.installCrd ? install() : Promise.resolve()).then(() => {
    if (starting.signal.aborted) return;
    void informer.start();
    campaign();
  });

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    starting.abort();
    const deadline = Date.now() + config.shutdownTimeoutMs;
    // Stop work before giving up the lease, so two replicas never review at once.
    if (elector) await elector.stop(standBy);
    else await standBy();
    queue.shutDown();
    await recorder.flush(Math.max(0, Math.min(5_000, deadline - Date.now())));
    // No review is in flight, no event is queued, the lease is released (elector.stop above), the
    // watch is stopped: nothing uses the pool any more.
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
