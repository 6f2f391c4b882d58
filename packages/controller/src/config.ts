import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  address,
  boolean,
  ConfigError,
  duration,
  type Env,
  helpText as formatHelp,
  integer,
  number,
  type Options,
  oneOf,
  parseOptions,
  text,
} from '@guitars/shared/config';

export { ConfigError, parseDuration } from '@guitars/shared/config';

export interface ControllerConfig {
  /** Watch only this namespace; undefined: all namespaces. */
  namespace: string | undefined;
  labelSelector: string | undefined;
  workers: number;
  installCrd: boolean;
  /** A review policy file; undefined: the built-in policy. */
  reviewPolicy: string | undefined;
  /** '': every address, IPv6 and IPv4 (Node's listen without a host). */
  probeHost: string;
  probePort: number;
  leaderElect: boolean;
  /** undefined: the pod's namespace, else the kubeconfig context's, else default. */
  leaderElectionNamespace: string | undefined;
  leaderElectionId: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  eventQps: number;
  eventBurst: number;
  shutdownTimeoutMs: number;
  logLevel: string;
}

/**
 * Reviews wait on etcd's writes, so more workers (async loops) put more writes in flight for etcd
 * to commit together; 32 measured best in the benchmark's backlog of 10,000.
 */
export const DEFAULT_WORKERS = 32;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

// Every option, in --help order; README.md lists the same table.
const OPTIONS = {
  namespace: {
    flag: 'namespace',
    env: 'CONTROLLER_NAMESPACE',
    value: text(),
    shown: 'all namespaces',
    help: 'Watch and review guitars in this namespace only.',
  },
  labelSelector: {
    flag: 'label-selector',
    env: 'CONTROLLER_LABEL_SELECTOR',
    value: text(),
    help: 'Review only guitars matching this label selector, e.g. shop=berlin.',
  },
  workers: {
    flag: 'workers',
    env: 'CONTROLLER_WORKERS',
    value: integer(1, 64),
    default: DEFAULT_WORKERS,
    help: 'Guitars reviewed in parallel (1-64).',
  },
  installCrd: {
    flag: 'install-crd',
    env: 'CONTROLLER_INSTALL_CRD',
    value: boolean(),
    default: true,
    help: 'Create the Guitar CRD at start if missing, upgrade it if older. The shipped Deployment sets false: an admin applies k8s/.',
  },
  reviewPolicy: {
    flag: 'review-policy',
    env: 'CONTROLLER_REVIEW_POLICY',
    value: text(),
    shown: 'built-in policy',
    help: 'YAML file with the brands and verdicts (e.g. mounted from the guitars-review-policy ConfigMap).',
  },
  probeBindAddress: {
    flag: 'probe-bind-address',
    env: 'CONTROLLER_PROBE_BIND_ADDRESS',
    value: address(),
    default: { host: '', port: 8081 },
    shown: ':8081',
    help: 'host:port serving /healthz, /readyz and /metrics (port 0: any free port).',
  },
  leaderElect: {
    flag: 'leader-elect',
    env: 'CONTROLLER_LEADER_ELECT',
    value: boolean(),
    default: (env: Env) => Boolean(env.KUBERNETES_SERVICE_HOST),
    shown: 'true in a pod, else false',
    help: 'Only the holder of a coordination.k8s.io Lease reviews; others stand by.',
  },
  leaderElectionNamespace: {
    flag: 'leader-election-namespace',
    env: 'CONTROLLER_LEADER_ELECTION_NAMESPACE',
    value: text(),
    shown: "the pod's namespace, else the kubeconfig context's, else default",
    help: 'Namespace of the Lease.',
  },
  leaderElectionId: {
    flag: 'leader-election-id',
    env: 'CONTROLLER_LEADER_ELECTION_ID',
    value: text(),
    default: 'guitars-controller',
    help: 'Name of the Lease.',
  },
  identity: {
    flag: 'identity',
    env: 'POD_NAME',
    value: text(),
    default: () => `${hostname()}_${randomBytes(4).toString('hex')}`,
    shown: 'hostname_random',
    help: "This replica's name in the Lease and in events (the Deployment passes the pod name).",
  },
  leaseDuration: {
    flag: 'lease-duration',
    env: 'CONTROLLER_LEASE_DURATION',
    value: duration(),
    default: 15_000,
    shown: '15s',
    help: 'How long a standby waits after the last renewal it saw before taking the Lease.',
  },
  renewDeadline: {
    flag: 'renew-deadline',
    env: 'CONTROLLER_RENEW_DEADLINE',
    value: duration(),
    default: 10_000,
    shown: '10s',
    help: 'A leader that cannot renew for this long stops reviewing (< lease duration).',
  },
  retryPeriod: {
    flag: 'retry-period',
    env: 'CONTROLLER_RETRY_PERIOD',
    value: duration(),
    default: 2_000,
    shown: '2s',
    help: 'Time between tries to acquire or renew the Lease (< renew deadline).',
  },
  eventQps: {
    flag: 'event-qps',
    env: 'CONTROLLER_EVENT_QPS',
    value: number(0.001, 10_000),
    default: 10,
    help: 'Kubernetes Events written per second, over all guitars.',
  },
  eventBurst: {
    flag: 'event-burst',
    env: 'CONTROLLER_EVENT_BURST',
    value: integer(1, 100_000),
    default: 100,
    help: 'Events written at once before event-qps applies.',
  },
  shutdownTimeout: {
    flag: 'shutdown-timeout',
    env: 'CONTROLLER_SHUTDOWN_TIMEOUT',
    value: duration(),
    default: 20_000,
    shown: '20s',
    help: 'On SIGTERM/SIGINT, the longest wait for reviews in flight and pending events.',
  },
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    value: oneOf(LEVELS, 'LEVEL'),
    default: 'info',
    help: 'trace, debug, info, warn, error, fatal or silent.',
  },
} as const satisfies Options;

export function helpText(): string {
  return formatHelp(OPTIONS, {
    usage: 'guitars-controller [options]',
    intro: [
      'Reviews every Guitar (kool.karmalabs.local/v1) from its brand: writes spec.comment, sets spec.review.',
      'Each option can also be set by the environment variable shown; a flag wins over its variable.',
      'Boolean options take --flag, --flag=true or --flag=false. Durations: 15s, 500ms, 2m or seconds.',
    ],
    outro: [
      'The cluster: in a pod, its service account (KUBERNETES_SERVICE_HOST is set); otherwise the',
      'kubeconfig files in KUBECONFIG, else ~/.kube/config.',
    ],
  });
}

export type ParsedArgs = { help: true } | { help: false; config: ControllerConfig };

/** Reads flags, then environment variables, then defaults. Throws ConfigError naming the bad input. */
export function parseConfig(argv: ReadonlyArray<string>, env: NodeJS.ProcessEnv): ParsedArgs {
  const parsed = parseOptions(OPTIONS, argv, env);
  if (parsed.help) return { help: true };
  const v = parsed.values;
  const config: ControllerConfig = {
    namespace: v.namespace || undefined,
    labelSelector: v.labelSelector || undefined,
    workers: v.workers,
    installCrd: v.installCrd,
    reviewPolicy: v.reviewPolicy || undefined,
    probeHost: v.probeBindAddress.host,
    probePort: v.probeBindAddress.port,
    leaderElect: v.leaderElect,
    leaderElectionNamespace: v.leaderElectionNamespace || undefined,
    leaderElectionId: v.leaderElectionId,
    identity: v.identity,
    leaseDurationMs: v.leaseDuration,
    renewDeadlineMs: v.renewDeadline,
    retryPeriodMs: v.retryPeriod,
    eventQps: v.eventQps,
    eventBurst: v.eventBurst,
    shutdownTimeoutMs: v.shutdownTimeout,
    logLevel: v.logLevel,
  };
  if (config.leaseDurationMs < 1000)
    throw new ConfigError('lease duration must be at least 1s (Leases count whole seconds)');
  if (config.renewDeadlineMs >= config.leaseDurationMs) {
    throw new ConfigError('renew deadline must be shorter than the lease duration');
  }
  if (config.retryPeriodMs >= config.renewDeadlineMs) {
    throw new ConfigError('retry period must be shorter than the renew deadline');
  }
  return { help: false, config };
}
