import { contextNamespace, type KubeHttpOptions, type Logger } from '@guitars/shared';
import type { KubeConfig } from '@kubernetes/client-node';
import { CONTROLLER_ACCESS } from './access.js';
import type { ControllerConfig } from './config.js';
import { installCrd } from './crd-install.js';
import { type RunningController, runController } from './kit/run.js';
import { guitarPatcher } from './patch.js';
import { guitarReconciler, reviewsCounter } from './reconcile.js';
import { type ReviewPolicy, reviewer } from './review-policy.js';

export const COMPONENT = 'guitars-controller';

export interface ControllerAppDeps {
  config: ControllerConfig;
  kc: KubeConfig;
  logger: Logger;
  policy: ReviewPolicy;
  /** Transport settings; tests shorten the watch idle timeout instead of waiting 30 s. */
  http?: KubeHttpOptions;
}

export type ControllerApp = RunningController;

/**
 * The Guitar controller on the kit (kit/run.ts): what to watch, the reconciler, and the names
 * its metrics, events and Lease go by. main (index.ts) and the tests share it.
 */
export function startControllerApp(deps: ControllerAppDeps): Promise<ControllerApp> {
  const { config, kc, logger, policy } = deps;
  return runController({
    kc,
    logger,
    http: deps.http,
    kind: 'guitar',
    metricsPrefix: 'guitars',
    source: (kube) =>
      kube.guitars.select({ namespace: config.namespace, labelSelector: config.labelSelector }),
    reconciler: ({ kube, recorder, metrics }) =>
      guitarReconciler({
        patch: guitarPatcher(kube.guitars),
        review: reviewer(policy),
        recorder,
        logger,
        reviews: reviewsCounter(metrics.registry),
      }),
    workers: config.workers,
    probes: { host: config.probeHost, port: config.probePort },
    events: {
      component: COMPONENT,
      instance: config.identity,
      qps: config.eventQps,
      burst: config.eventBurst,
    },
    leaderElection: config.leaderElect
      ? {
          namespace: config.leaderElectionNamespace ?? contextNamespace(kc) ?? 'default',
          name: config.leaderElectionId,
          identity: config.identity,
          leaseDurationMs: config.leaseDurationMs,
          renewDeadlineMs: config.renewDeadlineMs,
          retryPeriodMs: config.retryPeriodMs,
        }
      : undefined,
    access: CONTROLLER_ACCESS,
    // The CRD install waits out an unreachable apiserver; the informer starts after it.
    beforeStart: config.installCrd
      ? ({ kube, forbidden }, signal) =>
          installCrd(kube.crds, logger, signal, (err) => forbidden.explain(err))
      : undefined,
    // The likeliest mistake with --install-crd=false.
    notFoundHint: 'is the Guitar CRD installed? Apply k8s/base/crd.yaml, or run with --install-crd=true',
    shutdownTimeoutMs: config.shutdownTimeoutMs,
  });
}
