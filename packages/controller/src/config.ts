import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';

export interface ControllerConfig {
  /** Watch only this namespace; undefined: all namespaces. */
  namespace: string | undefined;
  labelSelector: string | undefined;
  workers: number;
  installCrd: boolean;
  /** A review policy file; undefined: the built-in policy. */
  reviewPolicy: string | undefined;
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

/** A bad flag or environment variable; the message names it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Kind = 'string' | 'boolean' | 'count' | 'number' | 'duration' | 'address' | 'level';

interface Option {
  flag: string;
  env: string;
  kind: Kind;
  /** The default as shown in --help. */
  shown: string;
  help: string;
}

// Every option, in --help order; README.md lists the same table.
/**
 * A review waits mostly on the apiserver's write to etcd, not on this process, so workers (async
 * tasks, not threads) are cheap and in-flight writes are what sets throughput: etcd commits the
 * writes in flight together. Measured on the 2-core bench machine (docs/performance-analysis.md):
 * 10,000 guitars waiting, 4 workers 552 reviews/s, 16 workers 662/s, 32 workers 654/s; 1,000
 * waiting (the lean transport), medians of 3: 16 workers 555/s, 32 workers 724/s, 64 workers 659/s.
 */
export const DEFAULT_WORKERS = 32;

const OPTIONS = {
  namespace: {
    flag: 'namespace',
    env: 'CONTROLLER_NAMESPACE',
    kind: 'string',
    shown: 'all namespaces',
    help: 'Watch and review guitars in this namespace only.',
  },
  labelSelector: {
    flag: 'label-selector',
    env: 'CONTROLLER_LABEL_SELECTOR',
    kind: 'string',
    shown: 'none',
    help: 'Review only guitars matching this label selector, e.g. shop=berlin.',
  },
  workers: {
    flag: 'workers',
    env: 'CONTROLLER_WORKERS',
    kind: 'count',
    shown: String(DEFAULT_WORKERS),
    help: 'Guitars reviewed in parallel (1-64).',
  },
  installCrd: {
    flag: 'install-crd',
    env: 'CONTROLLER_INSTALL_CRD',
    kind: 'boolean',
    shown: 'true',
    help: 'Create the Guitar CRD at start if missing, upgrade it if older. The shipped Deployment sets false: an admin applies k8s/.',
  },
  reviewPolicy: {
    flag: 'review-policy',
    env: 'CONTROLLER_REVIEW_POLICY',
    kind: 'string',
    shown: 'built-in policy',
    help: 'YAML file with the brands and verdicts (e.g. mounted from the guitars-review-policy ConfigMap).',
  },
  probeBindAddress: {
    flag: 'probe-bind-address',
    env: 'CONTROLLER_PROBE_BIND_ADDRESS',
    kind: 'address',
    shown: ':8081',
    help: 'host:port serving /healthz, /readyz and /metrics (port 0: any free port).',
  },
  leaderElect: {
    flag: 'leader-elect',
    env: 'CONTROLLER_LEADER_ELECT',
    kind: 'boolean',
    shown: 'true in a pod, else false',
    help: 'Only the holder of a coordination.k8s.io Lease reviews; others stand by.',
  },
  leaderElectionNamespace: {
    flag: 'leader-election-namespace',
    env: 'CONTROLLER_LEADER_ELECTION_NAMESPACE',
    kind: 'string',
    shown: "the pod's namespace, else the kubeconfig context's, else default",
    help: 'Namespace of the Lease.',
  },
  leaderElectionId: {
    flag: 'leader-election-id',
    env: 'CONTROLLER_LEADER_ELECTION_ID',
    kind: 'string',
    shown: 'guitars-controller',
    help: 'Name of the Lease.',
  },
  identity: {
    flag: 'identity',
    env: 'POD_NAME',
    kind: 'string',
    shown: 'hostname_random',
    help: "This replica's name in the Lease and in events (the Deployment passes the pod name).",
  },
  leaseDuration: {
    flag: 'lease-duration',
    env: 'CONTROLLER_LEASE_DURATION',
    kind: 'duration',
    shown: '15s',
    help: 'How long a standby waits after the last renewal it saw before taking the Lease.',
  },
  renewDeadline: {
    flag: 'renew-deadline',
    env: 'CONTROLLER_RENEW_DEADLINE',
    kind: 'duration',
    shown: '10s',
    help: 'A leader that cannot renew for this long stops reviewing (< lease duration).',
  },
  retryPeriod: {
    flag: 'retry-period',
    env: 'CONTROLLER_RETRY_PERIOD',
    kind: 'duration',
    shown: '2s',
    help: 'Time between tries to acquire or renew the Lease (< renew deadline).',
  },
  eventQps: {
    flag: 'event-qps',
    env: 'CONTROLLER_EVENT_QPS',
    kind: 'number',
    shown: '10',
    help: 'Kubernetes Events written per second, over all guitars.',
  },
  eventBurst: {
    flag: 'event-burst',
    env: 'CONTROLLER_EVENT_BURST',
    kind: 'count',
    shown: '100',
    help: 'Events written at once before event-qps applies.',
  },
  shutdownTimeout: {
    flag: 'shutdown-timeout',
    env: 'CONTROLLER_SHUTDOWN_TIMEOUT',
    kind: 'duration',
    shown: '20s',
    help: 'On SIGTERM/SIGINT, the longest wait for reviews in flight and pending events.',
  },
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    kind: 'level',
    shown: 'info',
    help: 'trace, debug, info, warn, error, fatal or silent.',
  },
} as const satisfies Record<string, Option>;

type Name = keyof typeof OPTIONS;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function helpText(): string {
  const lines = [
    'Usage: guitars-controller [options]',
    '',
    'Reviews every Guitar (kool.karmalabs.local/v1) from its brand: writes spec.comment, sets spec.review.',
    'Each option can also be set by the environment variable shown; a flag wins over its variable.',
    'Boolean options take --flag, --flag=true or --flag=false. Durations: 15s, 500ms, 2m or seconds.',
    '',
  ];
  for (const o of Object.values(OPTIONS) as Option[]) {
    const value =
      o.kind === 'boolean'
        ? '[=BOOL]'
        : `=${o.kind === 'count' || o.kind === 'number' ? 'N' : o.kind.toUpperCase()}`;
    lines.push(`  --${o.flag}${value}`, `      ${o.help}`, `      env ${o.env}, default: ${o.shown}`);
  }
  lines.push(
    '  -h, --help',
    '      Print this help and exit.',
    '',
    'The cluster: in a pod, its service account (KUBERNETES_SERVICE_HOST is set); otherwise the',
    'kubeconfig files in KUBECONFIG, else ~/.kube/config.',
  );
  return lines.join('\n');
}

export type ParsedArgs = { help: true } | { help: false; config: ControllerConfig };

/** Reads flags, then environment variables, then defaults. Throws ConfigError naming the bad input. */
export function parseConfig(argv: ReadonlyArray<string>, env: NodeJS.ProcessEnv): ParsedArgs {
  const booleans = new Set(
    Object.values(OPTIONS as Record<string, Option>)
      .filter((o) => o.kind === 'boolean')
      .map((o) => `--${o.flag}`),
  );
  // parseArgs's booleans take no value; accept --install-crd=false by reading them as strings.
  const args = argv.map((a) => (booleans.has(a) ? `${a}=true` : a));
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(
      (Object.values(OPTIONS) as Option[]).map((o) => [o.flag, { type: 'string' as const }]),
    );
    ({ values } = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    }));
  } catch (err) {
    throw new ConfigError(`${err instanceof Error ? err.message : String(err)} (see --help)`);
  }
  if (values.help) return { help: true };

  const raw = (name: Name): { text: string; source: string } | undefined => {
    const o: Option = OPTIONS[name];
    const flag = values[o.flag];
    if (typeof flag === 'string') return { text: flag, source: `--${o.flag}` };
    const fromEnv = env[o.env];
    if (fromEnv !== undefined && fromEnv.trim() !== '') return { text: fromEnv, source: o.env };
    return undefined;
  };
  const text = (name: Name): string | undefined => raw(name)?.text.trim() || undefined;
  const bool = (name: Name, fallback: boolean): boolean => {
    const r = raw(name);
    if (!r) return fallback;
    const v = r.text.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(v)) return true;
    if (['false', '0', 'no'].includes(v)) return false;
    throw new ConfigError(`${r.source}=${r.text}: expected true or false`);
  };
  const num = (name: Name, fallback: number, integer: boolean, min: number, max: number): number => {
    const r = raw(name);
    if (!r) return fallback;
    const v = Number(r.text.trim());
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
      throw new ConfigError(
        `${r.source}=${r.text}: expected ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`,
      );
    }
    return v;
  };
  const duration = (name: Name, fallbackMs: number): number => {
    const r = raw(name);
    if (!r) return fallbackMs;
    const ms = parseDuration(r.text);
    if (ms === undefined)
      throw new ConfigError(`${r.source}=${r.text}: expected a duration such as 15s, 500ms or 2m`);
    return ms;
  };

  const inPod = Boolean(env.KUBERNETES_SERVICE_HOST);
  const logLevel = text('logLevel') ?? 'info';
  if (!LEVELS.includes(logLevel))
    throw new ConfigError(`log level ${logLevel}: expected one of ${LEVELS.join(', ')}`);
  const address = raw('probeBindAddress');
  const { host, port } = address
    ? parseAddress(address.text, address.source)
    : { host: '0.0.0.0', port: 8081 };

  const config: ControllerConfig = {
    namespace: text('namespace'),
    labelSelector: text('labelSelector'),
    workers: num('workers', DEFAULT_WORKERS, true, 1, 64),
    installCrd: bool('installCrd', true),
    reviewPolicy: text('reviewPolicy'),
    probeHost: host,
    probePort: port,
    leaderElect: bool('leaderElect', inPod),
    leaderElectionNamespace: text('leaderElectionNamespace'),
    leaderElectionId: text('leaderElectionId') ?? 'guitars-controller',
    identity: text('identity') ?? `${hostname()}_${randomBytes(4).toString('hex')}`,
    leaseDurationMs: duration('leaseDuration', 15_000),
    renewDeadlineMs: duration('renewDeadline', 10_000),
    retryPeriodMs: duration('retryPeriod', 2_000),
    eventQps: num('eventQps', 10, false, 0.001, 10_000),
    eventBurst: num('eventBurst', 100, true, 1, 100_000),
    shutdownTimeoutMs: duration('shutdownTimeout', 20_000),
    logLevel,
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

/** "15s", "500ms", "2m", "1.5" (seconds) → milliseconds; undefined when it is none of those. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) return undefined;
  const unit = match[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000;
  return Math.round(Number(match[1]) * factor);
}

/** ":8081", "127.0.0.1:0", "[::1]:8081" → host and port (empty host: all interfaces). */
function parseAddress(text: string, source: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(text.trim());
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port > 65535) throw new ConfigError(`${source}=${text}: expected host:port, e.g. :8081`);
  const host = (match[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? '0.0.0.0' : host, port };
}
