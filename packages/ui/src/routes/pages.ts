import { firstInvisibleCharacter } from '@guitars/shared';
import express, { type Request, type Response, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { inScope } from '../cluster/namespace-scope.js';
import { audited } from '../http/audit.js';
import type { Csrf } from '../http/csrf.js';
import { isolated, setFlash, takeFlash } from '../http/flash.js';
import { HttpError, isHttpError } from '../http/http-error.js';
import { type FieldErrors, type GuitarInput, validateNewGuitar } from '../validation.js';
import { BRAND_SUGGESTIONS } from '../views/brands.js';
import { guitarHref, listFilters, listFragment } from '../views/list-view.js';
import { guardGuitarParams, guitarParams } from './params.js';

/**
 * The HTML pages. They work without JavaScript: forms POST and redirect (303) to a page that shows
 * the outcome as a flash message; live.js only adds live updates on top.
 */
export function pagesRouter(ctx: AppContext, csrf: Csrf): Router {
  const { store, writer, clock, defaultNamespace } = ctx;
  const router = Router();
  guardGuitarParams(router);
  const forms = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });

  /**
   * The filters' suggestions, of the namespaces the user may see. Brands stored before the CRD
   * refused invisible characters are left out: an <option> cannot isolate them (no <bdi> there).
   */
  const suggestions = (visible: ReadonlySet<string> | undefined) => {
    const all = store.filterSuggestions();
    return {
      brands: all.brands.filter((brand) => !firstInvisibleCharacter(brand)),
      namespaces: visible ? all.namespaces.filter((ns) => visible.has(ns)) : all.namespaces,
    };
  };

  router.get('/', async (req, res) => {
    const filters = listFilters(req.query);
    const visible = await ctx.visibleTo(req);
    const list = listFragment(store, filters, clock(), visible);
    // A page past the last says so (the fragment, fetched by live.js, stays 200 so it is shown).
    res.status(list.pastEnd ? 404 : 200).render('list', {
      title: 'Guitars',
      flash: takeFlash(req, res),
      filters,
      suggestions: suggestions(visible),
      list,
      live: true,
    });
  });

  /** The list's live part alone, fetched by live.js after each change. */
  router.get('/fragments/guitars', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const visible = await ctx.visibleTo(req);
    res.render('partials/guitars', { list: listFragment(store, listFilters(req.query), clock(), visible) });
  });

  router.get('/guitars/new', csrf.issue, async (req, res) => {
    renderForm(res, 200, { name: '', brand: '', namespace: defaultNamespace }, await ctx.visibleTo(req));
  });

  router.post('/guitars', ctx.writeLimit, forms, csrf.verify, csrf.issue, async (req, res) => {
    const input = formInput(req);
    const result = validateNewGuitar(input, defaultNamespace);
    if (!result.ok) return renderForm(res, 422, input, await ctx.visibleTo(req), result.errors);
    const { guitar } = result;
    try {
      await audited(ctx.logger, req, 'create', guitar, () => writer.create(guitar, ctx.actorOf(req)));
    } catch (err) {
      if (!isHttpError(err)) throw err;
      if (err.headers) res.set(err.headers);
      return renderForm(res, err.status, input, await ctx.visibleTo(req), err.fields ?? {}, err.message);
    }
    await store.settle(guitar.namespace, guitar.name, true);
    setFlash(req, res, {
      kind: 'success',
      parts: isolated`Added ${guitar.name} (${guitar.brand}) to namespace ${guitar.namespace}; the controller will review it.`,
    });
    res.redirect(303, '/');
  });

  router.get('/guitars/:namespace/:name/delete', csrf.issue, async (req, res) => {
    const { namespace, name } = guitarParams(req);
    const visible = await ctx.visibleTo(req);
    // A guitar the user may not list is not shown (nor said to exist or not): the delete will tell.
    const hidden = visible !== undefined && !visible.has(namespace);
    const row = hidden ? undefined : store.get(namespace, name);
    // Out of the cache's scope the guitar may still exist; the delete itself will tell.
    if (!row && !hidden && store.synced() && inScope(store.scope, namespace)) {
      throw new HttpError(404, `There is no guitar "${name}" in namespace "${namespace}".`);
    }
    res.render('delete', {
      title: `Delete ${name}?`,
      namespace,
      name,
      brand: row?.brand,
      action: `${guitarHref(namespace, name)}/delete`,
    });
  });

  router.post('/guitars/:namespace/:name/delete', ctx.writeLimit, forms, csrf.verify, async (req, res) => {
    const { namespace, name } = guitarParams(req);
    await audited(ctx.logger, req, 'delete', { namespace, name }, () =>
      writer.delete(namespace, name, ctx.actorOf(req)),
    );
    await store.settle(namespace, name, false);
    setFlash(req, res, { kind: 'success', parts: isolated`Deleted ${name} from namespace ${namespace}.` });
    res.redirect(303, '/');
  });

  /** The add form, with what the user typed kept and each problem next to its field. */
  function renderForm(
    res: Response,
    status: number,
    values: { name: string; brand: string; namespace: string },
    visible: ReadonlySet<string> | undefined,
    errors: FieldErrors = {},
    message?: string,
  ): void {
    res.status(status).render('new', {
      title: 'Add a guitar',
      values,
      errors,
      message,
      brands: BRAND_SUGGESTIONS,
      namespaces: suggestions(visible).namespaces,
    });
  }

  return router;
}

function formInput(req: Request): Required<{ [K in keyof GuitarInput]: string }> {
  const body: unknown = req.body;
  const fields = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return { name: text(fields.name), brand: text(fields.brand), namespace: text(fields.namespace) };
}
