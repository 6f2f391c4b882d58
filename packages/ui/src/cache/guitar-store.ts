import { type GuitarCache, guitarKey, normalizeBrand } from '@guitars/shared';
import type { KubernetesObject } from '@kubernetes/client-node';
import { inScope, type NamespaceScope } from '../cluster/namespace-scope.js';
import { type GuitarRow, rowFromObject } from './guitar-row.js';

export interface GuitarQuery {
  namespace?: string | undefined;
  /** Exact brand, as the controller reads it: trimmed and case-insensitive. */
  brand?: string | undefined;
  /** 1-based; a page past the last is answered empty, with `pages` saying how many there are. */
  page?: number | undefined;
  perPage?: number | undefined;
  /** Only guitars of these namespaces (a signed-in user's: UserNamespaces); all when absent. */
  visible?: ReadonlySet<string> | undefined;
}

export interface GuitarPage {
  rows: GuitarRow[];
  /** Guitars matching the filters, on all pages. */
  total: number;
  page: number;
  pages: number;
  perPage: number;
}

export type StoreChange =
  | { type: 'upsert' | 'delete'; namespace: string; name: string }
  | { type: 'sync'; synced: boolean }
  | { type: 'reset' };

export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 500;
/** Filter suggestions are a convenience; past this many, typing beats scrolling. */
const MAX_SUGGESTIONS = 200;

interface Entry {
  row: GuitarRow;
  /** normalizeBrand(row.brand): what the list is sorted and filtered by, as the controller reads it. */
  brand: string;
}

/**
 * The UI's read side: the informer's guitars kept in the list's order (brand as the controller
 * reads it, then name, then namespace, compared field by field: no separator that a brand could
 * contain), so a page of 10,000 guitars is a slice, a brand filter a binary search, and a change
 * an O(log n) search plus one array splice, instead of a sort per request.
 */
export class GuitarStore {
  private readonly entries = new Map<string, Entry>();
  private sorted: Entry[] = [];
  private readonly brandCounts = new Map<string, number>();
  private readonly namespaceCounts = new Map<string, number>();
  /** Brand counts per namespace: a signed-in user is suggested the brands of their namespaces only. */
  private readonly brandsByNamespace = new Map<string, Map<string, number>>();
  private suggestions: { brands: string[]; namespaces: string[] } | undefined;
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private source: GuitarCache | undefined;
  private currentScope: NamespaceScope | undefined;
  private problems: () => string[] = () => [];

  /** Starts following a source (once the UI knows its scope). */
  attach(source: GuitarCache, scope: NamespaceScope): void {
    this.source = source;
    this.currentScope = scope;
    source.on('add', (obj) => this.upsert(obj));
    source.on('update', (obj) => this.upsert(obj));
    source.on('delete', (obj) => this.remove(obj));
    source.onSyncChange((synced) => {
      // After a relist the source's cache is the truth; rebuilding costs one sort, only then.
      if (synced) this.reset(source.list());
      this.emit({ type: 'sync', synced });
    });
    if (source.hasSynced()) this.reset(source.list());
  }

  /** undefined until the UI has decided which namespaces it can see. */
  get scope(): NamespaceScope | undefined {
    return this.currentScope;
  }

  /** True when the cache mirrors the cluster; false before the first list and while reconnecting. */
  synced(): boolean {
    return this.source?.hasSynced() ?? false;
  }

  /** Where to learn why the cache cannot sync: the apiserver's refusals, explained. */
  explainWith(problems: () => string[]): void {
    this.problems = problems;
  }

  /** Why the cache is not in sync, when known (for /readyz); empty when it is, or nobody knows. */
  syncProblems(): string[] {
    return this.synced() ? [] : this.problems();
  }

  get size(): number {
    return this.sorted.length;
  }

  get(namespace: string, name: string): GuitarRow | undefined {
    return this.entries.get(`${namespace}/${name}`)?.row;
  }

  query(query: GuitarQuery = {}): GuitarPage {
    const perPage = clamp(query.perPage ?? DEFAULT_PER_PAGE, 1, MAX_PER_PAGE);
    let from = 0;
    let to = this.sorted.length;
    const brand = query.brand === undefined ? '' : normalizeBrand(query.brand);
    if (brand) {
      from = this.firstIndex((entry) => entry.brand >= brand);
      to = this.firstIndex((entry) => entry.brand > brand);
    }
    const namespace = query.namespace?.trim();
    const { visible } = query;
    let matches: ArrayLike<Entry>;
    if (namespace || visible) {
      const filtered: Entry[] = [];
      for (let i = from; i < to; i++) {
        const entry = this.sorted[i] as Entry;
        const ns = entry.row.namespace;
        if ((!namespace || ns === namespace) && (!visible || visible.has(ns))) filtered.push(entry);
      }
      matches = filtered;
      from = 0;
      to = filtered.length;
    } else {
      matches = this.sorted;
    }
    const total = to - from;
    const pages = Math.max(1, Math.ceil(total / perPage));
    // Not clamped to the last page: a link to page 7 of 5 must not show page 5 as if it were 7.
    const page = clamp(Math.trunc(query.page ?? 1), 1, Number.MAX_SAFE_INTEGER);
    const rows: GuitarRow[] = [];
    const end = Math.min(to, from + page * perPage);
    for (let i = from + (page - 1) * perPage; i < end; i++) rows.push((matches[i] as Entry).row);
    return { rows, total, page, pages, perPage };
  }

  /** Every namespace that has guitars in the cache. */
  namespaces(): IterableIterator<string> {
    return this.namespaceCounts.keys();
  }

  /**
   * Namespaces and brands present, alphabetically, for the filters' suggestions; with `visible`,
   * of those namespaces only (a brand or a namespace name is itself something a user may not see).
   */
  filterSuggestions(visible?: ReadonlySet<string>): { brands: string[]; namespaces: string[] } {
    if (visible) {
      const brands = new Map<string, number>();
      const namespaces = new Map<string, number>();
      for (const ns of visible) {
        const counts = this.brandsByNamespace.get(ns);
        if (!counts) continue;
        namespaces.set(ns, this.namespaceCounts.get(ns) ?? 0);
        for (const [brand, n] of counts) brands.set(brand, (brands.get(brand) ?? 0) + n);
      }
      return { brands: topKeys(brands), namespaces: topKeys(namespaces) };
    }
    this.suggestions ??= {
      brands: topKeys(this.brandCounts),
      namespaces: topKeys(this.namespaceCounts),
    };
    return this.suggestions;
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves true as soon as `predicate` holds (checked now and after each change), false after
   * `timeoutMs`. Lets a write answer once the cache, and so the next page, shows its effect.
   */
  waitUntil(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (result: boolean) => {
        clearTimeout(timer);
        unsubscribe();
        resolve(result);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const unsubscribe = this.subscribe(() => {
        if (predicate()) done(true);
      });
    });
  }

  /**
   * After a create (present) or a delete (not present): waits, at most `timeoutMs`, until the cache
   * shows it, so the next page or GET does. Returns at once for namespaces the cache does not hold.
   */
  async settle(namespace: string, name: string, present: boolean, timeoutMs = 2_000): Promise<void> {
    if (!inScope(this.currentScope, namespace)) return;
    await this.waitUntil(() => (this.get(namespace, name) !== undefined) === present, timeoutMs);
  }

  private upsert(obj: KubernetesObject): void {
    const entry = toEntry(obj);
    if (!entry) return;
    const key = guitarKey(obj);
    const old = this.entries.get(key);
    this.entries.set(key, entry);
    if (old && old.brand === entry.brand) {
      // Same brand, name and namespace: the same place in the list.
      this.sorted[this.indexOf(old)] = entry;
    } else {
      if (old) this.unlink(old);
      this.sorted.splice(this.lowerBound(entry), 0, entry);
      this.count(entry, 1);
    }
    this.announce({ type: 'upsert', namespace: entry.row.namespace, name: entry.row.name });
  }

  private remove(obj: KubernetesObject): void {
    const key = guitarKey(obj);
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.unlink(old);
    this.announce({ type: 'delete', namespace: old.row.namespace, name: old.row.name });
  }

  private reset(objects: ReadonlyArray<KubernetesObject>): void {
    this.entries.clear();
    this.brandCounts.clear();
    this.namespaceCounts.clear();
    this.brandsByNamespace.clear();
    for (const obj of objects) {
      const entry = toEntry(obj);
      if (!entry) continue;
      this.entries.set(guitarKey(obj), entry);
      this.count(entry, 1);
    }
    this.sorted = [...this.entries.values()].sort(compareEntries);
    this.emit({ type: 'reset' });
  }

  private unlink(entry: Entry): void {
    this.sorted.splice(this.indexOf(entry), 1);
    this.count(entry, -1);
  }

  private indexOf(entry: Entry): number {
    const index = this.lowerBound(entry);
    if (this.sorted[index] !== entry) {
      throw new Error(`guitar store out of order at ${entry.row.namespace}/${entry.row.name}`);
    }
    return index;
  }

  /** The first position whose entry does not sort before `entry`. */
  private lowerBound(entry: Entry): number {
    return this.firstIndex((other) => compareEntries(other, entry) >= 0);
  }

  /** The first position where `reached` holds, for a `reached` false then true along the list. */
  private firstIndex(reached: (entry: Entry) => boolean): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (reached(this.sorted[mid] as Entry)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private count(entry: Entry, delta: 1 | -1): void {
    // Suggested as the filter matches: "Fender" and " fender" are one brand.
    const brandNew = bump(this.brandCounts, entry.brand, delta);
    const namespaceNew = bump(this.namespaceCounts, entry.row.namespace, delta);
    const ns = entry.row.namespace;
    const brands = this.brandsByNamespace.get(ns) ?? new Map<string, number>();
    bump(brands, entry.brand, delta);
    if (brands.size === 0) this.brandsByNamespace.delete(ns);
    else this.brandsByNamespace.set(ns, brands);
    if (brandNew || namespaceNew) this.suggestions = undefined;
  }

  /**
   * Per-guitar changes are announced only when in sync: a (re)list delivers thousands at once, and
   * the sync that ends it announces a single reset instead.
   */
  private announce(change: StoreChange): void {
    if (this.synced()) this.emit(change);
  }

  private emit(change: StoreChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

function toEntry(obj: KubernetesObject): Entry | undefined {
  const row = rowFromObject(obj);
  return row && { row, brand: normalizeBrand(row.brand) };
}

/** Brand, then name, then namespace. */
function compareEntries(a: Entry, b: Entry): number {
  return (
    compare(a.brand, b.brand) || compare(a.row.name, b.row.name) || compare(a.row.namespace, b.row.namespace)
  );
}

/** Plain code-unit order: fast, and the same on every machine (no locale). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min;
}

/** Adjusts a count; true when the key appeared or disappeared. */
function bump(counts: Map<string, number>, key: string, delta: 1 | -1): boolean {
  const next = (counts.get(key) ?? 0) + delta;
  if (next <= 0) {
    counts.delete(key);
    return true;
  }
  counts.set(key, next);
  return next === 1;
}

/** The most common keys (at most MAX_SUGGESTIONS), alphabetically. */
function topKeys(counts: Map<string, number>): string[] {
  const keys = [...counts.keys()].filter((k) => k !== '');
  const top =
    keys.length > MAX_SUGGESTIONS
      ? keys.sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0)).slice(0, MAX_SUGGESTIONS)
      : keys;
  return top.sort(compare);
}
