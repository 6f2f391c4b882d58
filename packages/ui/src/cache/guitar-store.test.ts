import { describe, expect, it, vi } from 'vitest';
import { FakeCache, guitar } from '../test-support/fake-cache.js';
import { GuitarStore, type StoreChange } from './guitar-store.js';

function storeWith(...objects: ReturnType<typeof guitar>[]): { store: GuitarStore; source: FakeCache } {
  const source = new FakeCache();
  const store = new GuitarStore();
  store.attach(source, { clusterWide: true });
  for (const obj of objects) source.put(obj);
  source.setSynced(true);
  return { store, source };
}

const names = (store: GuitarStore, query = {}) =>
  store.query(query).rows.map((r) => `${r.brand}/${r.name}@${r.namespace}`);

describe('GuitarStore', () => {
  it('keeps guitars sorted by brand (any case), then name, then namespace', () => {
    const { store } = storeWith(
      guitar('b', 'telecaster', { brand: 'fender' }),
      guitar('a', 'x003', { brand: 'yamaha' }),
      guitar('a', 'telecaster', { brand: 'fender' }),
      guitar('a', 'stratocaster', { brand: 'Fender' }),
      guitar('a', 'lespaul', { brand: 'epiphone' }),
    );
    expect(names(store)).toEqual([
      'epiphone/lespaul@a',
      'Fender/stratocaster@a',
      'fender/telecaster@a',
      'fender/telecaster@b',
      'yamaha/x003@a',
    ]);
  });

  it('filters by brand (case-insensitive, exact) and namespace, and pages', () => {
    const { store } = storeWith(
      ...Array.from({ length: 7 }, (_, i) => guitar(i % 2 ? 'odd' : 'even', `g${i}`, { brand: 'fender' })),
      guitar('even', 'other', { brand: 'fend' }),
      guitar('even', 'other', { brand: 'fenders' }),
    );
    expect(store.query({ brand: 'FENDER' }).total).toBe(7);
    expect(store.query({ brand: 'fender', namespace: 'odd' }).rows.map((r) => r.name)).toEqual([
      'g1',
      'g3',
      'g5',
    ]);
    expect(store.query({ namespace: 'even' }).total).toBe(5);
    const page = store.query({ brand: 'fender', perPage: 3, page: 3 });
    expect(page).toMatchObject({ total: 7, page: 3, pages: 3, perPage: 3 });
    expect(page.rows.map((r) => r.name)).toEqual(['g6']);
    // Past the end: an empty page that says how many there are, not the last one passed off as it.
    expect(store.query({ brand: 'fender', perPage: 3, page: 99 })).toMatchObject({
      page: 99,
      pages: 3,
      rows: [],
    });
    expect(store.query({ brand: 'nobody' })).toMatchObject({ total: 0, pages: 1, rows: [] });
  });

  it('shows only the namespaces a signed-in user may see (visible), with the other filters', () => {
    const { store } = storeWith(
      guitar('mine', 'a', { brand: 'fender' }),
      guitar('theirs', 'b', { brand: 'fender' }),
      guitar('mine', 'c', { brand: 'gibson' }),
    );
    const visible = new Set(['mine']);
    expect(names(store, { visible })).toEqual(['fender/a@mine', 'gibson/c@mine']);
    expect(names(store, { visible, brand: 'fender' })).toEqual(['fender/a@mine']);
    expect(store.query({ visible, namespace: 'theirs' })).toMatchObject({ total: 0, rows: [] });
    expect(store.query({ visible: new Set() }).total).toBe(0);
    expect([...store.namespaces()].sort()).toEqual(['mine', 'theirs']);
  });

  it('sorts and filters by the brand as the controller reads it: trimmed, in any case', () => {
    const { store } = storeWith(
      guitar('a', 'sg', { brand: 'gibson' }),
      guitar('a', 'lespaul', { brand: '  Gibson ' }),
      guitar('a', 'strat', { brand: 'fender' }),
      guitar('a', 'aaa', { brand: ' zildjian' }),
    );
    expect(names(store)).toEqual(['fender/strat@a', '  Gibson /lespaul@a', 'gibson/sg@a', ' zildjian/aaa@a']);
    expect(names(store, { brand: 'GIBSON' })).toEqual(['  Gibson /lespaul@a', 'gibson/sg@a']);
    expect(names(store, { brand: ' gibson  ' })).toEqual(['  Gibson /lespaul@a', 'gibson/sg@a']);
    expect(store.filterSuggestions().brands).toEqual(['fender', 'gibson', 'zildjian']);
  });

  it('matches the whole brand only: no separator lets a filter reach into the name', () => {
    // Brands stored before the CRD refused control characters are still listed.
    const { store } = storeWith(
      guitar('a', 'strat', { brand: 'fender' }),
      guitar('a', 'x', { brand: 'fender\u0000strat' }),
      guitar('a', 'y', { brand: 'fender\u0001' }),
      guitar('a', 'z', { brand: 'fende' }),
    );
    expect(names(store, { brand: 'fender' })).toEqual(['fender/strat@a']);
    expect(names(store, { brand: 'fender\u0000strat' })).toEqual(['fender\u0000strat/x@a']);
    expect(names(store, { brand: 'fender\u0000' })).toEqual([]);
    expect(names(store, { brand: 'fender\u0000strat\u0000a' })).toEqual([]);
    expect(names(store)).toEqual([
      'fende/z@a',
      'fender/strat@a',
      'fender\u0000strat/x@a',
      'fender\u0001/y@a',
    ]);
  });

  it('moves a guitar whose brand changed, and replaces one that did not in place', () => {
    const { store, source } = storeWith(
      guitar('a', 'one', { brand: 'b' }),
      guitar('a', 'two', { brand: 'c' }),
    );
    source.put(guitar('a', 'two', { brand: 'a' }));
    expect(names(store)).toEqual(['a/two@a', 'b/one@a']);
    source.put(guitar('a', 'one', { brand: 'b', review: true, comment: 'this is a great instrument' }));
    expect(store.get('a', 'one')).toMatchObject({ reviewed: true, comment: 'this is a great instrument' });
    expect(store.size).toBe(2);
    expect(store.filterSuggestions().brands).toEqual(['a', 'b']);
  });

  it('forgets deleted guitars, and their brands and namespaces once unused', () => {
    const { store, source } = storeWith(
      guitar('a', 'one', { brand: 'b' }),
      guitar('z', 'two', { brand: 'c' }),
    );
    source.delete(guitar('z', 'two', { brand: 'c' }));
    expect(names(store)).toEqual(['b/one@a']);
    expect(store.get('z', 'two')).toBeUndefined();
    expect(store.filterSuggestions()).toEqual({ brands: ['b'], namespaces: ['a'] });
  });

  it('suggests only the brands and namespaces of the namespaces a user may see', () => {
    const { store, source } = storeWith(
      guitar('mine', 'one', { brand: 'Fender' }),
      guitar('mine', 'two', { brand: 'gibson' }),
      guitar('theirs', 'three', { brand: 'acme secret prototype 7' }),
      guitar('theirs', 'four', { brand: 'fender' }),
    );
    expect(store.filterSuggestions(new Set(['mine', 'nowhere']))).toEqual({
      brands: ['fender', 'gibson'],
      namespaces: ['mine'],
    });
    expect(store.filterSuggestions(new Set())).toEqual({ brands: [], namespaces: [] });
    source.delete(guitar('mine', 'two', { brand: 'gibson' }));
    expect(store.filterSuggestions(new Set(['mine'])).brands).toEqual(['fender']);
    expect(store.filterSuggestions().brands).toEqual(['acme secret prototype 7', 'fender']);
  });

  it('keeps objects that predate the schema, saying what is wrong', () => {
    const { store } = storeWith(
      guitar('a', 'nospec', undefined),
      guitar('a', 'numbrand', { brand: 42 }),
      guitar('a', 'ok', { brand: 'fender', comment: 7 }),
    );
    expect(store.get('a', 'nospec')).toMatchObject({ brand: '', problem: 'spec is missing' });
    expect(store.get('a', 'numbrand')).toMatchObject({
      brand: '',
      problem: 'spec.brand is a number, not a string',
    });
    expect(store.get('a', 'ok')).toMatchObject({
      brand: 'fender',
      comment: undefined,
      problem: expect.any(String),
    });
  });

  it('reports sync, and rebuilds from the source after a resync (missed deletes included)', () => {
    const { store, source } = storeWith(
      guitar('a', 'one', { brand: 'b' }),
      guitar('a', 'two', { brand: 'c' }),
    );
    const changes: StoreChange[] = [];
    store.subscribe((c) => changes.push(c));
    source.setSynced(false);
    expect(store.synced()).toBe(false);
    source.replaceSilently([guitar('a', 'two', { brand: 'c' }), guitar('a', 'three', { brand: 'a' })]);
    source.setSynced(true);
    expect(store.synced()).toBe(true);
    expect(names(store)).toEqual(['a/three@a', 'c/two@a']);
    expect(changes).toEqual([
      { type: 'sync', synced: false },
      { type: 'reset' },
      { type: 'sync', synced: true },
    ]);
  });

  it('announces single changes only when in sync: a relist ends with one reset', () => {
    const { store, source } = storeWith(guitar('a', 'one', { brand: 'b' }));
    const changes: StoreChange[] = [];
    store.subscribe((c) => changes.push(c));
    source.put(guitar('a', 'two', { brand: 'b' }));
    source.setSynced(false);
    source.put(guitar('a', 'three', { brand: 'b' }));
    source.delete(guitar('a', 'one', { brand: 'b' }));
    expect(store.get('a', 'three')).toBeDefined();
    source.setSynced(true);
    expect(changes).toEqual([
      { type: 'upsert', namespace: 'a', name: 'two' },
      { type: 'sync', synced: false },
      { type: 'reset' },
      { type: 'sync', synced: true },
    ]);
  });

  it('is not synced before a source is attached', () => {
    const store = new GuitarStore();
    expect(store.synced()).toBe(false);
    expect(store.scope).toBeUndefined();
    expect(store.query()).toMatchObject({ total: 0, rows: [] });
  });

  it('waitUntil resolves on the change that makes it true, or false at the deadline', async () => {
    const { store, source } = storeWith();
    const waiting = store.waitUntil(() => store.get('a', 'late') !== undefined, 2_000);
    source.put(guitar('a', 'late', { brand: 'b' }));
    expect(await waiting).toBe(true);
    expect(await store.waitUntil(() => false, 20)).toBe(false);
  });

  it('settles a write as soon as the cache shows it, and at once for namespaces it does not cache', async () => {
    // No timer fires (the clock is fake): each settle ends on the change itself, not at its deadline.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const source = new FakeCache();
      const store = new GuitarStore();
      store.attach(source, { clusterWide: false, namespace: 'mine', reason: 'r' });
      source.setSynced(true);
      expect(await settledNow(store.settle('theirs', 'x', true, 5_000))).toBe(true);
      const created = store.settle('mine', 'x', true, 5_000);
      expect(await settledNow(created)).toBe(false);
      source.put(guitar('mine', 'x', { brand: 'b' }));
      expect(await settledNow(created)).toBe(true);
      const deleted = store.settle('mine', 'x', false, 5_000);
      expect(await settledNow(deleted)).toBe(false);
      source.delete(guitar('mine', 'x', { brand: 'b' }));
      expect(await settledNow(deleted)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('at 10,000 guitars, compares a handful of them for a change and none for a page or a brand', () => {
    const brands = [
      'fender',
      'gibson',
      'epiphone',
      'martin',
      'yamaha',
      'ibanez',
      'prs',
      'taylor',
      'guild',
      'squier',
    ];
    const { store, source } = storeWith();
    for (let i = 0; i < 10_000; i++) {
      source.put(guitar(`ns-${i % 20}`, `guitar-${i}`, { brand: brands[i % brands.length] }));
    }
    expect(store.size).toBe(10_000);
    const reads = countNameReads(store);
    // A binary search over the list: two guitars compared per step, on brand, name and namespace.
    const search = 4 * Math.ceil(Math.log2(store.size) + 1);

    // The namespace filter reads each guitar's namespace once (and this shows the count works).
    expect(store.query({ namespace: 'ns-7' }).total).toBe(500);
    const scanned = reads();
    expect(scanned).toBeGreaterThan(0);
    expect(scanned).toBeLessThanOrEqual(store.size);

    // A page is a slice and a brand a range of the sorted list: no guitar is compared.
    expect(store.query({ page: 100 }).rows).toHaveLength(50);
    expect(store.query({ brand: 'martin', page: 3 }).total).toBe(1_000);
    expect(reads()).toBe(0);

    // A new guitar, a changed one and a deleted one: each found by a search, not a scan or a sort.
    source.put(guitar('ns-1', 'guitar-new', { brand: 'martin' }));
    expect(reads()).toBeLessThanOrEqual(search);
    source.put(guitar('ns-3', 'guitar-3', { brand: 'martin', review: true }));
    expect(reads()).toBeLessThanOrEqual(search);
    source.delete(guitar('ns-5', 'guitar-5', { brand: 'ibanez' }));
    expect(reads()).toBeLessThanOrEqual(search);
    expect(store.size).toBe(10_000);
    expect(store.get('ns-3', 'guitar-3')?.reviewed).toBe(true);
  });
});

/** Whether `promise` has settled once pending callbacks have run, no timer firing meanwhile. */
async function settledNow(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

/**
 * Counts reads of the stored guitars' names and namespaces, which comparing two guitars of one
 * brand makes; each call returns the reads since the last.
 */
function countNameReads(store: GuitarStore): () => number {
  let reads = 0;
  const rows = Array.from(
    { length: Math.ceil(store.size / 500) },
    (_, i) => store.query({ page: i + 1, perPage: 500 }).rows,
  ).flat();
  for (const row of rows) {
    for (const field of ['name', 'namespace'] as const) {
      const value = row[field];
      Object.defineProperty(row, field, {
        enumerable: true,
        get: () => {
          reads += 1;
          return value;
        },
      });
    }
  }
  return () => {
    const since = reads;
    reads = 0;
    return since;
  };
}
