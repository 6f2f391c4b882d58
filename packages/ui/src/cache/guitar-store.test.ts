import { describe, expect, it } from 'vitest';
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
    const source = new FakeCache();
    const store = new GuitarStore();
    store.attach(source, { clusterWide: false, namespace: 'mine', reason: 'r' });
    source.setSynced(true);
    const start = performance.now();
    await store.settle('theirs', 'x', true, 5_000);
    const created = store.settle('mine', 'x', true, 5_000);
    source.put(guitar('mine', 'x', { brand: 'b' }));
    await created;
    const deleted = store.settle('mine', 'x', false, 5_000);
    source.delete(guitar('mine', 'x', { brand: 'b' }));
    await deleted;
    expect(performance.now() - start).toBeLessThan(1_000);
  });

  it('stays fast at 10,000 guitars: a page, a brand filter and a change in well under a millisecond each', () => {
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
    const startFill = performance.now();
    for (let i = 0; i < 10_000; i++) {
      source.put(guitar(`ns-${i % 20}`, `guitar-${i}`, { brand: brands[i % brands.length] }));
    }
    const fillMs = performance.now() - startFill;
    expect(store.size).toBe(10_000);

    const time = (fn: () => void, runs = 200) => {
      const start = performance.now();
      for (let i = 0; i < runs; i++) fn();
      return (performance.now() - start) / runs;
    };
    const pageMs = time(() => store.query({ page: 100 }));
    const brandMs = time(() => store.query({ brand: 'martin', page: 3 }));
    const namespaceMs = time(() => store.query({ namespace: 'ns-7' }), 50);
    let n = 0;
    const changeMs = time(() => source.put(guitar('ns-1', `guitar-${n++}`, { brand: 'zzz' })), 500);

    expect(store.query({ page: 2 }).rows).toHaveLength(50);
    expect(store.query({ brand: 'martin' }).total).toBe(1_000);
    expect(store.query({ namespace: 'ns-7' }).total).toBe(500);
    // Generous bounds (CI machines vary); typical numbers are 10-100x lower.
    expect(fillMs).toBeLessThan(2_000);
    expect(pageMs).toBeLessThan(1);
    expect(brandMs).toBeLessThan(1);
    expect(namespaceMs).toBeLessThan(5);
    expect(changeMs).toBeLessThan(1);
  });
});
