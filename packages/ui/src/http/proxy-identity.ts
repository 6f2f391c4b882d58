import type { Request, RequestHandler } from 'express';
import type { Actor } from '../cluster/guitar-writer.js';
import { HttpError } from './http-error.js';

/** Probes come from the kubelet (through the proxy's --skip-auth-regex); they reveal nothing. */
const OPEN_PATHS = new Set(['/healthz', '/readyz']);

/**
 * The signed-in user, as the proxy in front said: the name and token only. X-Forwarded-Email is
 * not read: oauth-proxy sets it only when the session has an email, and otherwise passes on what
 * the client sent (oauthproxy.go, Authenticate), so it could be anybody's.
 */
export type ProxyUser = Actor;

/** Where the proxy sends its users to sign out (oauth-proxy and oauth2-proxy alike). */
export const SIGN_OUT_PATH = '/oauth/sign_out';

const users = new WeakMap<Request, ProxyUser>();

/** The user of a request in proxy mode; undefined in the other modes. */
export function proxyUserOf(req: Request): ProxyUser | undefined {
  return users.get(req);
}

/**
 * UI_AUTH=proxy: the user is who the signing-in proxy (oauth-proxy with --pass-user-headers and
 * --pass-access-token) says in X-Forwarded-User and X-Forwarded-Access-Token, which it always sets,
 * believed only on connections from `addresses`. The connection's own address is checked, not
 * req.ip: TRUST_PROXY makes req.ip come from X-Forwarded-For, which a client writes. Anything else
 * (other addresses, or the proxy without a user and token) is refused with 401, so the headers
 * never reach a route unchecked.
 */
export function proxyIdentity(addresses: readonly string[]): RequestHandler {
  const trusted = new Set(addresses.map(plainAddress));
  return (req, res, next) => {
    if (OPEN_PATHS.has(req.path)) return next();
    const from = plainAddress(req.socket.remoteAddress ?? '');
    if (!trusted.has(from)) {
      req.log?.warn({ from }, 'request not from the signing-in proxy refused');
      return next(
        new HttpError(401, 'Sign in through the Guitar Center address your administrator gave you.'),
      );
    }
    const name = single(req, 'x-forwarded-user');
    const token = single(req, 'x-forwarded-access-token');
    if (!name || !token) {
      // The proxy passes both once it has signed the user in (--pass-access-token): a missing one
      // is a proxy set up without it, and the UI must not fall back to its own identity.
      return next(
        new HttpError(
          401,
          'The sign-in proxy did not say who you are (X-Forwarded-User, X-Forwarded-Access-Token).',
        ),
      );
    }
    const user: ProxyUser = { user: name, token };
    users.set(req, user);
    // For the pages' header: the name and the sign-out link, never the token.
    res.locals.signedIn = { user: name, signOut: SIGN_OUT_PATH };
    next();
  };
}

/** A header's value, or undefined when absent or blank. */
function single(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** 127.0.0.1 as it arrives on a dual-stack socket (::ffff:127.0.0.1) is 127.0.0.1. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}
