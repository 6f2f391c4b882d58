import type { CookieOptions, Request } from 'express';

/**
 * The name a cookie of this app goes by. Over TLS (req.secure: directly, or as a trusted proxy
 * reports it) it carries the `__Host-` prefix: browsers then only accept it Secure, with Path=/
 * and no Domain, from this very host, so a sibling host under the same parent domain (another
 * app on the same OpenShift apps domain) cannot plant one. Browsers refuse the prefix without
 * Secure, so plain-HTTP local runs keep the bare name.
 */
export function cookieName(req: Request, base: string): string {
  return req.secure ? `__Host-${base}` : base;
}

/** Shared by the CSRF and flash cookies: not readable by scripts, not sent by cross-site POSTs. */
export function cookieOptions(req: Request): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' };
}
