import { firstInvisibleCharacter } from '@guitars/shared';
import type { KubernetesObject } from '@kubernetes/client-node';
import express, { type Request, type Response, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { type GuitarRow, rowFromObject } from '../cache/guitar-row.js';
import { GuitarChangedError } from '../cluster/guitar-writer.js';
import { inScope } from '../cluster/namespace-scope.js';
import { audited } from '../http/audit.js';
import type { Csrf } from '../http/csrf.js';
import { isolated, setFlash, takeFlash } from '../http/flash.js';
import { HttpError, isHttpError } from '../http/http-error.js';
import { type FieldErrors, type GuitarInput, validateNewGuitar } from '../validation.js';
import { BRAND_SUGGESTIONS } from '../view-models/brands.js';
import { guitarHref, listFilters, listFragment } from '../view-models/list-view.js';
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
    const { brands, namespaces } = store.filterSuggestions(visible);
    return { brands: brands.filter((brand) => !firstInvisibleCharacter(brand)), namespaces };
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

  // The delete page shows one object (its uid in the form) and the form deletes only that one: a
  // guitar deleted and created again under its name meanwhile is another object, left alone.
  router.get('/guitars/:namespace/:name/delete', csrf.issue, async (req, res) => {
    const { namespace, name } = guitarParams(req);
    const row = await shownGuitar(req, namespace, name);
    // The uid the list's link carried: another one means the list showed a guitar since replaced.
    const listed = typeof req.query.uid === 'string' ? req.query.uid : '';
    renderDelete(res, 200, namespace, name, row, {
      replaced: listed !== '' && listed !== row.uid,
    });
  });

  router.post(
    '/guitars/:namespace/:name/delete',
    ctx.writeLimit,
    forms,
    csrf.verify,
    csrf.issue,
    async (req, res) => {
      const { namespace, name } = guitarParams(req);
      const { uid } = formInput(req);
      if (!uid) {
        // Without the uid the form cannot say which guitar it showed: deleting whatever now has
        // the name could delete one nobody saw.
        throw new HttpError(
          400,
          'This form does not say which guitar it showed (it has no uid), so nothing was deleted. Open the delete page again and confirm there.',
        );
      }
      try {
        await audited(ctx.logger, req, 'delete', { namespace, name }, () =>
          writer.delete(namespace, name, ctx.actorOf(req), { uid }),
        );
      } catch (err) {
        if (!(err instanceof GuitarChangedError)) throw err;
        // What has the name now, read live (the cache may not show it yet), to decide on anew.
        const now = await writer
          .get(namespace, name, ctx.actorOf(req))
          .then((obj) => rowFromObject(obj as KubernetesObject))
          .catch(() => undefined);
        return renderDelete(res, 409, namespace, name, now, { changed: err.message });
      }
      await store.settle(namespace, name, false);
      setFlash(req, res, { kind: 'success', parts: isolated`Deleted ${name} from namespace ${namespace}.` });
      res.redirect(303, '/');
    },
  );

  /**
   * The guitar a delete page shows: the cache's when it holds the namespace for this user, else
   * the apiserver's, read as the user (another namespace, a cache not in sync), whose RBAC decides.
   */
  async function shownGuitar(req: Request, namespace: string, name: string): Promise<GuitarRow> {
    const visible = await ctx.visibleTo(req);
    const cached = (!visible || visible.has(namespace)) && store.synced() && inScope(store.scope, namespace);
    const row = cached
      ? store.get(namespace, name)
      : rowFromObject((await writer.get(namespace, name, ctx.actorOf(req))) as KubernetesObject);
    if (!row) throw new HttpError(404, `There is no guitar "${name}" in namespace "${namespace}".`);
    return row;
  }

  function renderDelete(
    res: Response,
    status: number,
    namespace: string,
    name: string,
    row: GuitarRow | undefined,
    notice: { replaced?: boolean; changed?: string },
  ): void {
    res.status(status).render('delete', {
      title: notice.changed ? `${name} has changed` : `Delete ${name}?`,
      namespace,
      name,
      brand: row?.brand,
      uid: row?.uid,
      replaced: notice.replaced ?? false,
      changed: notice.changed,
      action: `${guitarHref(namespace, name)}/delete`,
    });
  }

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

/** The text fields of a posted form (the add form's, the delete form's uid); '' when missing. */
function formInput(req: Request): Required<{ [K in keyof GuitarInput | 'uid']: string }> {
  const body: unknown = req.body;
  const fields = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    name: text(fields.name),
    brand: text(fields.brand),
    namespace: text(fields.namespace),
    uid: text(fields.uid),
  };
}
