import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CookieOptions, NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError } from './http-error.js';

export const CSRF_COOKIE = 'gc_csrf';
export const CSRF_FIELD = '_csrf';

/**
 * CSRF protection for the HTML forms: the signed double-submit cookie pattern (OWASP's
 * recommendation for stateless apps). Each browser gets a random, HttpOnly cookie; each form carries
 * HMAC(secret, cookie). Another site can make a browser send the cookie but can neither read it nor
 * compute the HMAC, so it cannot forge the field. No session store, nothing to share between
 * replicas but UI_COOKIE_SECRET. (A package such as csrf-csrf does the same with more options
 * than this app needs.)
 *
 * The JSON API does not use it: it only accepts `application/json`, which a cross-site form cannot
 * send and a cross-site fetch cannot send without a CORS preflight this app never answers.
 */
export class Csrf {
  private readonly key: Buffer;

  constructor(secret: string) {
    // A key of its own, derived from the shared secret, which also signs the flash cookie.
    this.key = createHmac('sha256', secret).update('guitars-ui/csrf').digest();
  }

  /** Gives the browser its cookie if it has none, and `res.locals.csrfToken` for the forms. */
  readonly issue: RequestHandler = (req, res, next) => {
    let value = cookieValue(req);
    if (!value) {
      value = randomBytes(32).toString('base64url');
      res.cookie(CSRF_COOKIE, value, cookieOptions(req));
    }
    res.locals.csrfToken = this.token(value);
    next();
  };

  /** Refuses (403) a form whose token is missing or does not match the browser's cookie. */
  readonly verify: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
    const value = cookieValue(req);
    const body: unknown = req.body;
    const sent = body && typeof body === 'object' ? (body as Record<string, unknown>)[CSRF_FIELD] : undefined;
    if (!value || typeof sent !== 'string' || !this.matches(value, sent)) {
      next(
        new HttpError(
          403,
          'This form has expired or did not come from this site, so nothing was changed. Reload the page and try again.',
        ),
      );
      return;
    }
    next();
  };

  token(cookie: string): string {
    return createHmac('sha256', this.key).update(cookie).digest('base64url');
  }

  private matches(cookie: string, sent: string): boolean {
    const expected = Buffer.from(this.token(cookie));
    const actual = Buffer.from(sent);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}

function cookieValue(req: Request): string | undefined {
  const cookies: unknown = req.cookies;
  const value =
    cookies && typeof cookies === 'object' ? (cookies as Record<string, unknown>)[CSRF_COOKIE] : undefined;
  return typeof value === 'string' && value.length >= 32 ? value : undefined;
}

/** Shared by the CSRF and flash cookies: not readable by scripts, not sent by cross-site POSTs. */
export function cookieOptions(req: Request): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' };
}
