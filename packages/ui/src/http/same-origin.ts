import type { Request, RequestHandler } from 'express';
import { HttpError } from './http-error.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * OWASP's fetch-metadata and Origin checks, for every state-changing request (forms and API),
 * on top of the CSRF token: refused (403) when the browser says it comes from another site
 * (`Sec-Fetch-Site: cross-site`), or from a sibling host of the same site (`same-site`: another
 * app under the same OpenShift apps domain) without this origin, or when `Origin` names any
 * origin but this UI's (`null` too, unless the browser says same-origin). Clients that send
 * neither (scripts, old browsers) pass: browsers send Origin with every cross-origin POST and
 * DELETE.
 */
export const refuseCrossSite: RequestHandler = (req, _res, next) => {
  if (SAFE_METHODS.has(req.method)) return next();
  const origin = req.get('origin');
  const site = req.get('sec-fetch-site');
  const own = origin !== undefined && isOwnOrigin(req, origin);
  // A browser that hides the origin of the UI's own page (a no-referrer setting of its own) still
  // says same-origin, a header no script can set.
  const hidden = origin === 'null' && site === 'same-origin';
  const refused =
    (origin !== undefined && !own && !hidden) || site === 'cross-site' || (site === 'same-site' && !own);
  if (!refused) return next();
  // For the operator: a proxy that rewrites Host would show up here as a foreign origin.
  req.log?.warn(
    { origin, secFetchSite: site, expected: `${req.protocol}://${req.host}` },
    'refused a request from another site',
  );
  next(new HttpError(403, 'This request came from another site, so nothing was changed.'));
};

/**
 * Whether `origin` is this UI's: the request's host (X-Forwarded-Host from a trusted proxy) and
 * scheme. An https Origin is also this UI's on a plain-http request: TLS ended at a proxy that
 * TRUST_PROXY does not name, and nothing but this UI answers on that host.
 */
export function isOwnOrigin(req: Request, origin: string): boolean {
  let sent: URL;
  let ours: URL;
  try {
    sent = new URL(origin);
    // Through URL, so a default port (`:443`) in Host compares equal to none in Origin.
    ours = new URL(`${sent.protocol}//${req.host}`);
  } catch {
    return false; // `null` (sandboxed frames, privacy redirects) or garbage
  }
  if (sent.origin !== origin || sent.host !== ours.host) return false;
  return sent.protocol === `${req.protocol}:` || (sent.protocol === 'https:' && req.protocol === 'http');
}
