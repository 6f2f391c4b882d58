import * as z from '@guitars/shared/zod';
import type { KubernetesObject } from '@kubernetes/client-node';
import express, { type Request, type Response, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { type GuitarRow, rowFromObject } from '../cache/guitar-row.js';
import { MAX_PER_PAGE } from '../cache/guitar-store.js';
import { GuitarChangedError } from '../cluster/guitar-writer.js';
import { inScope } from '../cluster/namespace-scope.js';
import { audited } from '../http/audit.js';
import { HttpError } from '../http/http-error.js';
import { etagOf, parseIfMatch } from '../http/if-match.js';
import { validateNewGuitar } from '../validation.js';
import { openApiDocument } from './openapi.js';
import { guardGuitarParams, guitarParams } from './params.js';

/** A guitar as the API returns it. */
export interface GuitarJson {
  namespace: string;
  name: string;
  brand: string;
  reviewed: boolean;
  comment: string | null;
  createdAt: string | null;
  /** Set when the object in the cluster does not match the Guitar schema. */
  problem?: string;
  /** Which object: a guitar deleted and created again under the same name has another. */
  uid?: string;
  /** Which version of it; the single GET's ETag, for a DELETE's If-Match. */
  resourceVersion?: string;
}

const listQuery = z.object({
  namespace: z.optional(z.string()),
  brand: z.optional(z.string()),
  page: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 1),
  perPage: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_PER_PAGE)), 50),
});

/** The JSON API beside the pages (described at /api/openapi.json). */
export function apiRouter(ctx: AppContext): Router {
  const { store, writer, defaultNamespace } = ctx;
  const router = Router();
  guardGuitarParams(router);
  const json = express.json({ limit: '16kb', strict: true });

  router.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });

  router.get('/api/guitars', async (req, res) => {
    const query = listQuery.safeParse(req.query);
    if (!query.success) {
      throw new HttpError(
        400,
        `Bad query: ${query.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
      );
    }
    requireSynced(ctx);
    const page = store.query({ ...query.data, visible: await ctx.visibleTo(req) });
    if (page.page > page.pages) {
      throw new HttpError(
        404,
        `There is no page ${page.page}: ${page.total} guitars match, on ${page.pages} page(s) of ${page.perPage}.`,
      );
    }
    res.json({
      items: page.rows.map(toJson),
      total: page.total,
      page: page.page,
      pages: page.pages,
      perPage: page.perPage,
      scope: store.scope,
    });
  });

  router.get('/api/guitars/:namespace/:name', async (req, res) => {
    const { namespace, name } = guitarParams(req);
    const visible = await ctx.visibleTo(req);
    if (!inScope(store.scope, namespace) || (visible && !visible.has(namespace))) {
      // Not cached, or not the user's to see from the cache: ask the apiserver, as the user, which
      // answers with RBAC's verdict too.
      const row = rowFromObject((await writer.get(namespace, name, ctx.actorOf(req))) as KubernetesObject);
      if (!row) throw new HttpError(404, `There is no guitar "${name}" in namespace "${namespace}".`);
      sendOne(res, row);
      return;
    }
    requireSynced(ctx);
    const row = store.get(namespace, name);
    if (!row) throw new HttpError(404, `There is no guitar "${name}" in namespace "${namespace}".`);
    sendOne(res, row);
  });

  router.post('/api/guitars', ctx.writeLimit, requireJson, json, async (req, res) => {
    const body: unknown = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new HttpError(
        400,
        'The body must be a JSON object: {"name": "…", "brand": "…", "namespace": "…"}.',
      );
    }
    const result = validateNewGuitar(body, defaultNamespace);
    if (!result.ok) throw new HttpError(422, 'The guitar is not valid.', result.errors);
    const { guitar } = result;
    const created = await audited(ctx.logger, req, 'create', guitar, () =>
      writer.create(guitar, ctx.actorOf(req)),
    );
    await store.settle(guitar.namespace, guitar.name, true);
    const row = rowFromObject(created);
    res
      .status(201)
      .location(`/api/guitars/${encodeURIComponent(guitar.namespace)}/${encodeURIComponent(guitar.name)}`)
      .json(row ? toJson(row) : guitar);
  });

  router.delete('/api/guitars/:namespace/:name', ctx.writeLimit, async (req, res) => {
    const { namespace, name } = guitarParams(req);
    // Without If-Match (or with *) whatever guitar has the name is deleted, as before; with a
    // GET's ETag, only that version of it.
    const ifMatch = parseIfMatch(req.get('if-match'));
    const preconditions =
      ifMatch.kind === 'version' ? { resourceVersion: ifMatch.resourceVersion } : undefined;
    await audited(ctx.logger, req, 'delete', { namespace, name }, async () => {
      try {
        await writer.delete(namespace, name, ctx.actorOf(req), preconditions);
      } catch (err) {
        if (!(err instanceof GuitarChangedError)) throw err;
        throw new HttpError(
          412,
          `The guitar "${name}" in namespace "${namespace}" has changed since it was read (If-Match ${etagOf(preconditions?.resourceVersion ?? '')} is not its ETag): nothing was deleted. GET it again to see what it is now.`,
        );
      }
    });
    await store.settle(namespace, name, false);
    res.status(204).end();
  });

  router.use('/api', (req) => {
    throw new HttpError(404, `No such API route: ${req.method} ${req.originalUrl.split('?')[0]}`);
  });

  return router;
}

/** JSON bodies only: a cross-site HTML form cannot send them, which is the API's CSRF defence. */
function requireJson(req: Request, _res: unknown, next: (err?: unknown) => void): void {
  if (!req.is('application/json')) {
    next(new HttpError(415, 'Send the guitar as JSON, with Content-Type: application/json.'));
    return;
  }
  next();
}

/** An empty list from a cache that has not synced would be a lie: say so instead. */
function requireSynced(ctx: AppContext): void {
  if (!ctx.store.synced()) {
    throw new HttpError(
      503,
      'The guitar list is not in sync with the cluster yet (starting, or the cluster cannot be reached); try again shortly.',
      undefined,
      { 'Retry-After': '5' },
    );
  }
}

/** One guitar, with its version as a strong ETag (a DELETE's If-Match takes it back). */
function sendOne(res: Response, row: GuitarRow): void {
  if (row.resourceVersion !== undefined) res.set('ETag', etagOf(row.resourceVersion));
  res.json(toJson(row));
}

function toJson(row: GuitarRow): GuitarJson {
  const json: GuitarJson = {
    namespace: row.namespace,
    name: row.name,
    brand: row.brand,
    reviewed: row.reviewed,
    comment: row.comment ?? null,
    createdAt: row.created === undefined ? null : new Date(row.created).toISOString(),
  };
  if (row.problem) json.problem = row.problem;
  if (row.uid !== undefined) json.uid = row.uid;
  if (row.resourceVersion !== undefined) json.resourceVersion = row.resourceVersion;
  return json;
}
