import type { AddressInfo } from 'node:net';
import {
  apiStatus,
  connect,
  contextNamespace,
  describeWatchError,
  ForbiddenReporter,
  GuitarInformer,
  type Logger,
  whoAmI,
} from '@guitars/shared';
import type { KubeConfig } from '@kubernetes/client-node';
import { UI_ACCESS } from './access.js';
import { GuitarStore } from './cache/guitar-store.js';
import { GuitarWriter, MISSING_CRD } from './cluster/guitar-writer.js';
import { decideNamespaceScope, type NamespaceScope, watchedNamespace } from './cluster/namespace-scope.js';
import { UserNamespaces } from './cluster/user-namespaces.js';
import { DEFAULT_NAMESPACE, type UiConfig } from './config.js';
import { createServer, type UiServer } from './server.js';

/** The calls a refusal is filed under (ForbiddenReporter). */
const LIST_WATCH = 'guitar list/watch';
const SCOPE_CHECK = 'namespace scope check';

export interface UiAppDeps {
  kc: KubeConfig;
  config: UiConfig;
  logger: Logger;
  /** Where to listen, over config.host. */
  host?: string;
  clock?: () => number;
  /** Backoff of the scope check and the informer after failures. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface UiApp extends Omit<UiServer, 'close'> {
  store: GuitarStore;
  defaultNamespace: string;
  /**
   * Graceful stop: not ready, live streams ended, the requests in flight answered (at most
   * config.shutdownTimeoutMs), then the watch and the cluster's connections closed.
   */
  stop(): Promise<void>;
}

/**
 * Wires the UI and starts it: listens at once (so /healthz answers while the cluster is away),
 * then decides which namespaces it may list, and fills the cache. /readyz turns 200 once synced.
 */
export async function startUiApp(options: UiAppDeps): Promise<UiApp> {
  const { kc, config, logger } = options;
  const defaultNamespace = config.guitarNamespace ?? contextNamespace(kc) ?? DEFAULT_NAMESPACE;
  const store = new GuitarStore();
  // The cluster: one connection pool for the scope check, the writes and the users' access reviews.
  const kube = connect(kc);
  // A 403 says who the UI runs as and how to fix it: once in the log, and in /readyz while it lasts.
  const forbidden = new ForbiddenReporter({ logger, access: UI_ACCESS, whoAmI: () => whoAmI(kc, kube) });
  // A list answered 404: the Guitar type is not served (no CRD), which no retry fixes by itself.
  let crdMissing = false;
  store.explainWith(() => (crdMissing ? [MISSING_CRD, ...forbidden.problems()] : forbidden.problems()));
  const writer = new GuitarWriter(kube.guitars);
  const proxied = config.auth.proxy !== undefined;
  const ui = await createServer(
    {
      config,
      store,
      writer,
      defaultNamespace,
      logger,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(proxied ? { userNamespaces: new UserNamespaces(kube.accessReviews) } : {}),
    },
    { port: config.port, host: options.host ?? config.host },
  );

  let informer: GuitarInformer | undefined;
  let stopped = false;
  const minBackoffMs = options.minBackoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;

  const follow = async () => {
    const scope = await decideScopeWithRetry();
    if (!scope || stopped) return;
    if (!scope.clusterWide) {
      logger.warn(
        { namespace: scope.namespace, reason: scope.reason },
        'listing guitars of one namespace only',
      );
    }
    const guitars = kube.guitars.select({ namespace: watchedNamespace(scope) });
    informer = new GuitarInformer(guitars, { minBackoffMs, maxBackoffMs });
    informer.onError((err, retryInMs) => {
      if (apiStatus(err) === 404) {
        // Once in the log, not once per retry; /readyz says it while it lasts.
        if (!crdMissing) logger.error({ retryInMs }, MISSING_CRD);
        crdMissing = true;
        return;
      }
      if (!forbidden.report(LIST_WATCH, err))
        logger.warn({ ...describeWatchError(err), retryInMs }, 'guitar watch failed');
    });
    informer.onSyncChange((synced) => {
      if (synced) {
        forbidden.clear(LIST_WATCH);
        crdMissing = false;
      }
      logger.info({ synced, guitars: store.size }, 'guitar cache sync changed');
    });
    store.attach(informer, scope);
    await informer.start();
  };

  const decideScopeWithRetry = async (): Promise<NamespaceScope | undefined> => {
    let wait = minBackoffMs;
    while (!stopped) {
      try {
        const scope = await decideNamespaceScope(kube.accessReviews, defaultNamespace);
        forbidden.clear(SCOPE_CHECK);
        return scope;
      } catch (err) {
        if (!forbidden.report(SCOPE_CHECK, err))
          logger.warn(
            { ...describeWatchError(err), retryInMs: wait },
            'cannot ask the cluster what the UI may list',
          );
        await new Promise((resolve) => setTimeout(resolve, wait).unref());
        wait = Math.min(wait * 2, maxBackoffMs);
      }
    }
    return undefined;
  };

  void follow().catch((err: unknown) => logger.error({ err }, 'the guitar cache stopped'));
  const { address } = ui.server.address() as AddressInfo;
  const loopback = /^(127\.|::1$|::ffff:127\.)/.test(address);
  logger.info(
    {
      url: ui.url,
      defaultNamespace,
      maxConnections: ui.maxConnections,
      ...(proxied
        ? { auth: 'proxy', proxyAddresses: config.auth.proxy?.addresses, writesAs: 'each signed-in user' }
        : {}),
      ...(loopback ? { note: 'loopback only: set HOST (e.g. 0.0.0.0) to serve other machines' } : {}),
      ...(ui.metricsUrl ? { metricsUrl: `${ui.metricsUrl}/metrics` } : {}),
    },
    'guitar UI listening',
  );
  if (proxied && !ui.metricsUrl) {
    logger.info('/metrics is not served: with UI_AUTH=proxy it needs UI_METRICS_BIND_ADDRESS (e.g. :8081)');
  }

  const { close: closeServer, ...served } = ui;
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    stopped = true;
    await closeServer(config.shutdownTimeoutMs);
    await informer?.stop();
    kube.close();
  };

  return {
    ...served,
    store,
    defaultNamespace,
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}
