import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { isDns1123Label } from '@guitars/shared';
import {
  address,
  ConfigError,
  custom,
  duration,
  helpText as formatHelp,
  integer,
  type Options,
  parseOptions,
  secret,
  text,
} from '@guitars/shared/config';

export { ConfigError } from '@guitars/shared/config';

/** Every setting of the UI, read once from the environment or flags (documented in README.md). */
export interface UiConfig {
  /** PORT: where to listen; 8080 as OpenShift expects. */
  port: number;
  /**
   * HOST: the address to listen on; loopback when unset, so a local run is not reachable from
   * the network. The image sets 0.0.0.0.
   */
  host: string;
  /** GUITAR_NAMESPACE: where new guitars go by default (else the pod's namespace, else guitarcenter). */
  guitarNamespace: string | undefined;
  /**
   * TRUST_PROXY: Express's `trust proxy`, so req.ip (and the limits) see clients, not the router,
   * and req.secure the router's TLS. Off by default: X-Forwarded-* from anyone else are forged.
   */
  trustProxy: boolean | number | string;
  /** Optional protection for an exposed Route; both off by default. */
  auth: AuthConfig;
  /** UI_COOKIE_SECRET: signs the CSRF and flash cookies; random per process when unset. */
  cookieSecret: string;
  cookieSecretGenerated: boolean;
  /** UI_WRITE_RATE_LIMIT: creates and deletes per client per minute. */
  writeRateLimit: number;
  /** UI_SHUTDOWN_TIMEOUT: on SIGTERM, the longest wait for the requests in flight. */
  shutdownTimeoutMs: number;
  /**
   * UI_ALLOWED_HOSTS: the names the UI answers to besides addresses and localhost ('*': any);
   * unset, any name only with sign-in on (see http/allowed-hosts.ts).
   */
  allowedHosts: string[] | undefined;
  /** UI_MAX_CONNECTIONS: open connections in all (lowered to fit the process's file limit). */
  maxConnections: number;
  /**
   * UI_METRICS_BIND_ADDRESS: a listener of its own for /metrics (and the probes), for Prometheus,
   * off the port users reach. Unset: /metrics is on the main port, except with UI_AUTH=proxy.
   */
  metricsAddress: { host: string; port: number } | undefined;
}

export interface AuthConfig {
  /** UI_AUTH_USERNAME + UI_AUTH_PASSWORD: HTTP basic auth. */
  basic?: { username: string; password: string };
  /** UI_AUTH_TOKEN: `Authorization: Bearer <token>`, for scripts. */
  token?: string;
  /**
   * UI_AUTH=proxy: a signing-in proxy in front (oauth-proxy, oauth2-proxy) says who the user is in
   * X-Forwarded-User and X-Forwarded-Access-Token; believed only from these addresses
   * (UI_AUTH_PROXY_ADDRESSES, loopback by default: the proxy is a sidecar in the pod).
   */
  proxy?: { addresses: string[] };
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_NAMESPACE = 'guitarcenter';
/** No proxy is trusted unless TRUST_PROXY names it (`1` behind an OpenShift Route). */
export const DEFAULT_TRUST_PROXY = false;
export const DEFAULT_WRITE_RATE_LIMIT = 30;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_CONNECTIONS = 4096;
/** A host name (DNS labels), lower case, or '*' for any name. */
const HOST_NAME = /^(\*|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)$/;
const MIN_SECRET_LENGTH = 32;
/** A sidecar proxy reaches the UI over the pod's loopback. */
export const DEFAULT_PROXY_ADDRESSES = ['127.0.0.1', '::1'];

const OPTIONS = {
  port: {
    flag: 'port',
    env: 'PORT',
    value: integer(0, 65_535),
    default: DEFAULT_PORT,
    help: 'Where to listen, as OpenShift expects.',
  },
  host: {
    flag: 'host',
    env: 'HOST',
    value: text('HOST'),
    default: DEFAULT_HOST,
    shown: `${DEFAULT_HOST} (loopback only)`,
    help: 'The address to listen on. The image and the Deployment set 0.0.0.0.',
  },
  guitarNamespace: {
    flag: 'guitar-namespace',
    env: 'GUITAR_NAMESPACE',
    value: custom(
      'NAMESPACE',
      "must be a namespace name: lower-case letters, digits and '-', at most 63 characters",
      (v) => (isDns1123Label(v) ? v : undefined),
    ),
    shown: `the pod's namespace, else the kubeconfig context's, else ${DEFAULT_NAMESPACE}`,
    help: 'Where new guitars go when the form or the request names none.',
  },
  trustProxy: {
    flag: 'trust-proxy',
    env: 'TRUST_PROXY',
    // `true` would believe the client's own X-Forwarded-For entries, and so its forged addresses.
    value: custom(
      'HOPS|PROXIES',
      'true trusts addresses any client can forge; give the hop count (1 behind one router) or the proxies',
      (v) => (v.toLowerCase() === 'true' ? undefined : parseTrustProxy(v)),
    ),
    default: DEFAULT_TRUST_PROXY,
    shown: 'none trusted',
    help: "Express's trust proxy: the hops in front (1 behind one router) or the proxies' addresses.",
  },
  cookieSecret: {
    env: 'UI_COOKIE_SECRET',
    value: secret(MIN_SECRET_LENGTH),
    secret: true,
    shown: 'random per process',
    help: `Signs the CSRF and flash cookies; at least ${MIN_SECRET_LENGTH} characters.`,
  },
  authUsername: {
    env: 'UI_AUTH_USERNAME',
    value: text(),
    shown: 'unset (off)',
    help: 'HTTP basic auth, with UI_AUTH_PASSWORD.',
  },
  authPassword: {
    env: 'UI_AUTH_PASSWORD',
    value: secret(),
    secret: true,
    shown: 'unset (off)',
    help: 'HTTP basic auth, with UI_AUTH_USERNAME.',
  },
  authToken: {
    env: 'UI_AUTH_TOKEN',
    value: text(),
    secret: true,
    shown: 'unset (off)',
    help: 'Authorization: Bearer <token>, for scripts.',
  },
  auth: {
    flag: 'auth',
    env: 'UI_AUTH',
    value: custom('MODE', 'must be "proxy", or unset', (v) => (v === 'proxy' ? v : undefined)),
    shown: 'unset',
    help: 'proxy: a signing-in proxy in front says who the user is; writes follow their RBAC.',
  },
  authProxyAddresses: {
    flag: 'auth-proxy-addresses',
    env: 'UI_AUTH_PROXY_ADDRESSES',
    value: custom('IPS', 'must be IP addresses separated by commas, e.g. 127.0.0.1,::1', (v) => {
      const addresses = addressList(v);
      return addresses.every((a) => isIP(a) !== 0) ? addresses : undefined;
    }),
    shown: `${DEFAULT_PROXY_ADDRESSES.join(',')} (with UI_AUTH=proxy)`,
    help: 'The addresses the signing-in proxy connects from.',
  },
  allowedHosts: {
    flag: 'allowed-hosts',
    env: 'UI_ALLOWED_HOSTS',
    value: custom(
      'NAMES',
      'must be host names separated by commas, without scheme or port (e.g. guitars.apps.example.com), or *',
      (v) => {
        // A trailing dot names the same host; browsers send either.
        const names = addressList(v.toLowerCase()).map((n) => n.replace(/\.$/, ''));
        return names.length > 0 && names.every((n) => HOST_NAME.test(n)) ? names : undefined;
      },
    ),
    shown: 'addresses and localhost only; any name with sign-in on',
    help: "The names of an exposed UI (the Route's or Ingress's host); * for any. Others get 421.",
  },
  maxConnections: {
    flag: 'max-connections',
    env: 'UI_MAX_CONNECTIONS',
    value: integer(1),
    default: DEFAULT_MAX_CONNECTIONS,
    help: 'Open connections in all (at most the file limit allows); each client gets a fair share.',
  },
  writeRateLimit: {
    flag: 'write-rate-limit',
    env: 'UI_WRITE_RATE_LIMIT',
    value: integer(1),
    default: DEFAULT_WRITE_RATE_LIMIT,
    help: 'Creates and deletes per client per minute; beyond it, 429.',
  },
  shutdownTimeout: {
    flag: 'shutdown-timeout',
    env: 'UI_SHUTDOWN_TIMEOUT',
    value: duration(),
    default: DEFAULT_SHUTDOWN_TIMEOUT_MS,
    shown: '10s',
    help: 'On SIGTERM/SIGINT, the longest wait for the requests in flight.',
  },
  metricsBindAddress: {
    flag: 'metrics-bind-address',
    env: 'UI_METRICS_BIND_ADDRESS',
    value: address(),
    shown: 'unset: /metrics on PORT (not served with UI_AUTH=proxy)',
    help: 'host:port serving /metrics, /healthz and /readyz alone, e.g. :8081, for Prometheus; /metrics then leaves PORT.',
  },
} as const satisfies Options;

/** --help: environment variables are the usual way (the manifests set them); flags win over them. */
export function helpText(): string {
  return formatHelp(OPTIONS, {
    usage: 'guitars-ui [options]',
    intro: [
      'Serves the Guitar web UI and its JSON API from an informer cache of the cluster.',
      'Each option is usually set by the environment variable shown; a flag wins over its variable.',
      'An empty variable counts as unset.',
    ],
    outro: [
      'LOG_LEVEL (environment only): trace, debug, info, warn, error, fatal or silent; default info.',
      'The cluster: in a pod, its service account; otherwise KUBECONFIG, else ~/.kube/config.',
    ],
  });
}

export type ParsedArgs = { help: true } | { help: false; config: UiConfig };

/** Reads flags, then environment variables, then defaults; throws a ConfigError naming every bad input. */
export function parseConfig(argv: ReadonlyArray<string>, env: NodeJS.ProcessEnv): ParsedArgs {
  let parsed: ReturnType<typeof parseOptions<typeof OPTIONS>>;
  try {
    parsed = parseOptions(OPTIONS, argv, env);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`invalid configuration: ${err.message}`);
    throw err;
  }
  if (parsed.help) return { help: true };
  const e = parsed.values;
  const username = e.authUsername || undefined;
  if ((username === undefined) !== (e.authPassword === undefined)) {
    throw new ConfigError(
      'invalid configuration: set both UI_AUTH_USERNAME and UI_AUTH_PASSWORD, or neither',
    );
  }
  const auth: AuthConfig = {};
  if (username !== undefined && e.authPassword !== undefined) {
    auth.basic = { username, password: e.authPassword };
  }
  if (e.authToken) auth.token = e.authToken;
  if (e.auth === 'proxy') {
    // Two ways to sign in would make the password a way around the users' own RBAC.
    if (auth.basic || auth.token) {
      throw new ConfigError(
        'invalid configuration: UI_AUTH=proxy signs users in through the proxy; unset UI_AUTH_USERNAME, UI_AUTH_PASSWORD and UI_AUTH_TOKEN',
      );
    }
    auth.proxy = { addresses: e.authProxyAddresses ?? DEFAULT_PROXY_ADDRESSES };
  } else if (e.authProxyAddresses) {
    throw new ConfigError('invalid configuration: UI_AUTH_PROXY_ADDRESSES needs UI_AUTH=proxy');
  }
  const config: UiConfig = {
    port: e.port,
    host: e.host || DEFAULT_HOST,
    guitarNamespace: e.guitarNamespace,
    trustProxy: e.trustProxy,
    auth,
    cookieSecret: e.cookieSecret ?? randomBytes(32).toString('base64url'),
    cookieSecretGenerated: e.cookieSecret === undefined,
    writeRateLimit: e.writeRateLimit,
    shutdownTimeoutMs: e.shutdownTimeout,
    allowedHosts: e.allowedHosts,
    maxConnections: e.maxConnections,
    metricsAddress: e.metricsBindAddress,
  };
  return { help: false, config };
}

/** The configuration from the environment alone (tests, the bench). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): UiConfig {
  const parsed = parseConfig([], env);
  if (parsed.help) throw new Error('unreachable: no --help without arguments');
  return parsed.config;
}

function addressList(value: string): string[] {
  return value
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
}

/** `true`/`false`, a hop count, or a list of addresses, subnets and names, as Express accepts. */
export function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
