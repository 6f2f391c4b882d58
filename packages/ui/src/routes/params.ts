import { isDns1123Label, isDns1123Subdomain } from '@guitars/shared';
import type { Request, Router } from 'express';
import { HttpError } from '../http/http-error.js';

// Express has decoded the segments by now: '%2e' is '.', '%2F' is '/'. Only a name that an object
// can have reaches a handler, so no segment can address the collection, the namespace or another
// resource (resourcePath, which builds every path to the cluster, refuses them too).
const BAD_NAMESPACE =
  "No such guitar: the namespace in this address is not a valid namespace name (lower-case letters, digits and '-', at most 63 characters).";
const BAD_NAME =
  "No such guitar: the name in this address is not a valid guitar name (lower-case letters, digits, '-' and '.', at most 253 characters).";

/**
 * Checks `:namespace` and `:name` on every route of `router` that has them, before any of the
 * route's own middleware (rate limit, body parsing, CSRF) or handler runs: 400 for a segment no
 * guitar can have.
 */
export function guardGuitarParams(router: Router): void {
  router.param('namespace', (_req, _res, next, value: unknown) => {
    next(typeof value === 'string' && isDns1123Label(value) ? undefined : new HttpError(400, BAD_NAMESPACE));
  });
  router.param('name', (_req, _res, next, value: unknown) => {
    next(typeof value === 'string' && isDns1123Subdomain(value) ? undefined : new HttpError(400, BAD_NAME));
  });
}

/** The `:namespace/:name` of a guitar route (typed: Express loses the path's types past middleware). */
export function guitarParams(req: Request): { namespace: string; name: string } {
  const { namespace, name } = req.params as Record<string, unknown>;
  if (typeof namespace !== 'string' || !isDns1123Label(namespace)) throw new HttpError(400, BAD_NAMESPACE);
  if (typeof name !== 'string' || !isDns1123Subdomain(name)) throw new HttpError(400, BAD_NAME);
  return { namespace, name };
}
