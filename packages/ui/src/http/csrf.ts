import { createHmac } from 'node:crypto';
import { type DoubleCsrfUtilities, doubleCsrf } from 'csrf-csrf';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { cookieName, cookieOptions } from './cookies.js';
import { HttpError } from './http-error.js';
import { proxyUserOf } from './proxy-identity.js';

export const CSRF_COOKIE = 'gc_csrf';
export const CSRF_FIELD = '_csrf';

/**
 * CSRF protection for the HTML forms: csrf-csrf's signed double-submit cookie. The server mints
 * each token (random value + HMAC of it under a key derived from UI_COOKIE_SECRET), sets it as an
 * HttpOnly cookie and puts the same token in the form; a POST must carry both, equal, and signed by
 * this key. A cookie value the server did not mint is replaced, never signed. No session store:
 * replicas share nothing but UI_COOKIE_SECRET.
 *
 * Without sign-in the token is bound to no session (the app has none), so what stops a site that
 * plants a cookie minted for itself is the `__Host-` prefix over TLS and the Origin check
 * (`same-origin.ts`). Signed in through a proxy (UI_AUTH=proxy), it is bound to the user too: a
 * pair minted for one user is refused for another.
 */
export class Csrf {
  /** One per cookie name: `__Host-gc_csrf` over TLS, `gc_csrf` on plain HTTP. */
  private readonly plain: DoubleCsrfUtilities;
  private readonly tls: DoubleCsrfUtilities;

  constructor(secret: string) {
    // A key of its own, derived from the shared secret, which also signs the flash cookie.
    const key = createHmac('sha256', secret).update('guitars-ui/csrf').digest('base64url');
    const make = (secure: boolean) =>
      doubleCsrf({
        getSecret: () => key,
        getSessionIdentifier: (req) => proxyUserOf(req)?.user ?? '',
        cookieName: secure ? `__Host-${CSRF_COOKIE}` : CSRF_COOKIE,
        getCsrfTokenFromRequest: formToken,
      });
    this.plain = make(false);
    this.tls = make(true);
  }

  /** Mints or keeps the browser's cookie, and gives the forms `res.locals.csrfToken`. */
  readonly issue: RequestHandler = (req, res, next) => {
    const csrf = this.for(req);
    // cookie-parser turns `j:{…}` values into objects; csrf-csrf expects a string: start afresh.
    const overwrite = typeof readCookie(req, cookieName(req, CSRF_COOKIE)) !== 'string';
    res.locals.csrfToken = csrf.generateCsrfToken(req, res, { overwrite, cookieOptions: cookieOptions(req) });
    next();
  };

  /** Refuses (403) a form whose token is missing, unsigned, or not the browser's cookie. */
  readonly verify: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
    if (!this.for(req).validateRequest(req)) {
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

  private for(req: Request): DoubleCsrfUtilities {
    return req.secure ? this.tls : this.plain;
  }
}

function formToken(req: Request): string | undefined {
  const body: unknown = req.body;
  const sent = body && typeof body === 'object' ? (body as Record<string, unknown>)[CSRF_FIELD] : undefined;
  return typeof sent === 'string' ? sent : undefined;
}

function readCookie(req: Request, name: string): unknown {
  const cookies: unknown = req.cookies;
  return cookies && typeof cookies === 'object' ? (cookies as Record<string, unknown>)[name] : undefined;
}
