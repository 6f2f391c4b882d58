import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { isDns1123Label } from '@guitars/shared';
import { z } from 'zod';

/** Every setting of the UI, read once from the environment (documented in README.md). */
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
const MIN_SECRET_LENGTH = 32;
/** A sidecar proxy reaches the UI over the pod's loopback. */
export const DEFAULT_PROXY_ADDRESSES = ['127.0.0.1', '::1'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const optionalText = z
  .string()
  .transform((s) => s.trim())
  .optional()
  .transform((s) => (s ? s : undefined));

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(DEFAULT_PORT),
  HOST: optionalText,
  GUITAR_NAMESPACE: optionalText.refine(
    (v) => v === undefined || isDns1123Label(v),
    "must be a namespace name: lower-case letters, digits and '-', at most 63 characters",
  ),
  // `true` would believe the client's own X-Forwarded-For entries, and so its forged addresses.
  TRUST_PROXY: optionalText.refine((v) => v?.toLowerCase() !== 'true', {
    message:
      'true trusts addresses any client can forge; give the hop count (1 behind one router) or the proxies',
  }),
  UI_AUTH_USERNAME: optionalText,
  UI_AUTH_PASSWORD: z.string().optional(),
  UI_AUTH_TOKEN: optionalText,
  UI_AUTH: optionalText.refine((v) => v === undefined || v === 'proxy', 'must be "proxy", or unset'),
  UI_AUTH_PROXY_ADDRESSES: optionalText.refine(
    (v) => v === undefined || addressList(v).every((a) => isIP(a) !== 0),
    'must be IP addresses separated by commas, e.g. 127.0.0.1,::1',
  ),
  UI_COOKIE_SECRET: z
    .string()
    .min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`)
    .optional(),
  UI_WRITE_RATE_LIMIT: z.coerce.number().int().min(1).default(DEFAULT_WRITE_RATE_LIMIT),
});

/** Reads the configuration; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): UiConfig {
  // Empty variables count as unset, as they do in most Deployments' templating.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if ((e.UI_AUTH_USERNAME === undefined) !== (e.UI_AUTH_PASSWORD === undefined)) {
    throw new ConfigError(
      'invalid configuration: set both UI_AUTH_USERNAME and UI_AUTH_PASSWORD, or neither',
    );
  }
  const auth: AuthConfig = {};
  if (e.UI_AUTH_USERNAME !== undefined && e.UI_AUTH_PASSWORD !== undefined) {
    auth.basic = { username: e.UI_AUTH_USERNAME, password: e.UI_AUTH_PASSWORD };
  }
  if (e.UI_AUTH_TOKEN) auth.token = e.UI_AUTH_TOKEN;
  if (e.UI_AUTH === 'proxy') {
    // Two ways to sign in would make the password a way around the users' own RBAC.
    if (auth.basic || auth.token) {
      throw new ConfigError(
        'invalid configuration: UI_AUTH=proxy signs users in through the proxy; unset UI_AUTH_USERNAME, UI_AUTH_PASSWORD and UI_AUTH_TOKEN',
      );
    }
    auth.proxy = {
      addresses: e.UI_AUTH_PROXY_ADDRESSES ? addressList(e.UI_AUTH_PROXY_ADDRESSES) : DEFAULT_PROXY_ADDRESSES,
    };
  } else if (e.UI_AUTH_PROXY_ADDRESSES) {
    throw new ConfigError('invalid configuration: UI_AUTH_PROXY_ADDRESSES needs UI_AUTH=proxy');
  }
  return {
    port: e.PORT,
    host: e.HOST ?? DEFAULT_HOST,
    guitarNamespace: e.GUITAR_NAMESPACE,
    trustProxy: e.TRUST_PROXY === undefined ? DEFAULT_TRUST_PROXY : parseTrustProxy(e.TRUST_PROXY),
    auth,
    cookieSecret: e.UI_COOKIE_SECRET ?? randomBytes(32).toString('base64url'),
    cookieSecretGenerated: e.UI_COOKIE_SECRET === undefined,
    writeRateLimit: e.UI_WRITE_RATE_LIMIT,
  };
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
