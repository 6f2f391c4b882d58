import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { AuthConfig } from '../config.js';
import { HttpError } from './http-error.js';
import { LoginThrottle } from './login-throttle.js';

/** Probes come from the kubelet, which has no credentials; they reveal nothing. */
const OPEN_PATHS = new Set(['/healthz', '/readyz']);
const REALM = 'Guitar Center';

/**
 * Optional protection for a UI exposed through a Route: HTTP basic auth (for people), a bearer
 * token (for scripts), or both. Off when neither is configured. Credentials come from a Secret
 * through environment variables; they are compared in constant time. Failed attempts are
 * throttled per client (`LoginThrottle`): past the limit, 429 with Retry-After.
 */
export function authenticate(config: AuthConfig, throttle?: LoginThrottle): RequestHandler | undefined {
  const { basic, token } = config;
  if (!basic && !token) return undefined;
  const failures = throttle ?? new LoginThrottle();
  // HMAC both sides with a per-process key: equal-length digests for timingSafeEqual, whatever was sent.
  const key = randomBytes(32);
  const digest = (value: string) => createHmac('sha256', key).update(value).digest();
  const expectedBasic = basic ? digest(`${basic.username}:${basic.password}`) : undefined;
  const expectedToken = token ? digest(token) : undefined;
  const challenge = basic ? `Basic realm="${REALM}", charset="UTF-8"` : `Bearer realm="${REALM}"`;

  return async (req, res, next) => {
    if (OPEN_PATHS.has(req.path)) return next();
    const wait = await failures.wait(req);
    if (wait !== undefined) {
      const minutes = Math.ceil(wait / 60);
      return next(
        new HttpError(
          429,
          `Too many failed sign-ins from your address; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
          undefined,
          { 'Retry-After': String(wait) },
        ),
      );
    }
    const header = req.get('authorization') ?? '';
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const credentials = header.slice(space + 1).trim();
    if (scheme === 'basic' && expectedBasic) {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      if (timingSafeEqual(digest(decoded), expectedBasic)) return next();
    } else if (scheme === 'bearer' && expectedToken) {
      if (timingSafeEqual(digest(credentials), expectedToken)) return next();
    }
    // Only a wrong credential counts: a browser's first request, without any, is not a guess.
    if (header) await failures.failed(req, res);
    next(new HttpError(401, 'Sign in to use Guitar Center.', undefined, { 'WWW-Authenticate': challenge }));
  };
}
