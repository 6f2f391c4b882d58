import type { GuitarRow } from '../cache/guitar-row.js';
import type { GuitarPage, GuitarStore } from '../cache/guitar-store.js';
import type { NamespaceScope } from '../cluster/namespace-scope.js';
import { age } from './age.js';
import { type BrandBadge, brandBadge } from './brands.js';

export interface ListFilters {
  namespace: string;
  brand: string;
  page: number;
}

/** One table row, everything computed: the template only prints (and escapes). */
export interface RowView {
  namespace: string;
  name: string;
  brand: string;
  badge: BrandBadge;
  reviewed: boolean;
  comment: string | undefined;
  age: string;
  createdIso: string | undefined;
  problem: string | undefined;
  deleteHref: string;
}

/** The live part of the list page, re-rendered alone for live updates (views/partials/guitars.ejs). */
export interface ListFragment {
  synced: boolean;
  scope: NamespaceScope | undefined;
  rows: RowView[];
  total: number;
  page: number;
  pages: number;
  filtered: boolean;
  /** The page asked for is past the last one: the template says so, with a link to the last. */
  pastEnd: boolean;
  lastHref: string;
  prevHref: string | undefined;
  nextHref: string | undefined;
  fragmentHref: string;
}

/** Reads filters from a query string leniently: a page link must never fail. */
export function listFilters(query: Record<string, unknown>): ListFilters {
  const text = (v: unknown) => (typeof v === 'string' ? v.trim().slice(0, 253) : '');
  const page = Number.parseInt(text(query.page), 10);
  return { namespace: text(query.namespace), brand: text(query.brand), page: page > 0 ? page : 1 };
}

/** `visible`: only guitars of these namespaces (a signed-in user's), else all. */
export function listFragment(
  store: GuitarStore,
  filters: ListFilters,
  now: number,
  visible?: ReadonlySet<string>,
): ListFragment {
  const result: GuitarPage = store.query({
    namespace: filters.namespace,
    brand: filters.brand,
    page: filters.page,
    visible,
  });
  const href = (path: string, page: number) => `${path}${queryString({ ...filters, page })}`;
  return {
    synced: store.synced(),
    scope: store.scope,
    rows: result.rows.map((row) => rowView(row, now)),
    total: result.total,
    page: result.page,
    pages: result.pages,
    filtered: filters.namespace !== '' || filters.brand !== '',
    pastEnd: result.page > result.pages,
    lastHref: href('/', result.pages),
    prevHref: result.page > 1 && result.page <= result.pages ? href('/', result.page - 1) : undefined,
    nextHref: result.page < result.pages ? href('/', result.page + 1) : undefined,
    fragmentHref: href('/fragments/guitars', result.page),
  };
}

/** A guitar's page in the UI (not its REST path: that is guitarPath in @guitars/shared). */
export function guitarHref(namespace: string, name: string): string {
  return `/guitars/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

function rowView(row: GuitarRow, now: number): RowView {
  return {
    namespace: row.namespace,
    name: row.name,
    brand: row.brand,
    badge: brandBadge(row.brand),
    reviewed: row.reviewed,
    comment: row.comment,
    age: age(row.created, now),
    createdIso: row.created === undefined ? undefined : new Date(row.created).toISOString(),
    problem: row.problem,
    // The uid of the guitar shown, so the delete page can tell when it has been replaced since.
    deleteHref: `${guitarHref(row.namespace, row.name)}/delete${row.uid ? `?uid=${encodeURIComponent(row.uid)}` : ''}`,
  };
}

/** "?namespace=…&brand=…&page=…" with the empty parts left out. */
function queryString(filters: ListFilters): string {
  const params = new URLSearchParams();
  if (filters.namespace) params.set('namespace', filters.namespace);
  if (filters.brand) params.set('brand', filters.brand);
  if (filters.page > 1) params.set('page', String(filters.page));
  const text = params.toString();
  return text ? `?${text}` : '';
}
