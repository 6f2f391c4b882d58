import { describe, expect, it } from 'vitest';
import { GuitarStore } from '../cache/guitar-store.js';
import { FakeCache, guitar } from '../test-support/fake-cache.js';
import { guitarHref, listFilters, listFragment } from './list-view.js';

describe('listFilters', () => {
  it('reads the query leniently: a bad page is page 1, arrays are ignored', () => {
    expect(listFilters({ namespace: ' a ', brand: 'fender', page: '3' })).toEqual({
      namespace: 'a',
      brand: 'fender',
      page: 3,
    });
    expect(listFilters({ page: '-2' })).toEqual({ namespace: '', brand: '', page: 1 });
    expect(listFilters({ page: 'x', brand: ['a', 'b'] })).toEqual({ namespace: '', brand: '', page: 1 });
  });
});

describe('listFragment', () => {
  const source = new FakeCache();
  const store = new GuitarStore();
  store.attach(source, { clusterWide: false, namespace: 'a b', reason: 'r' });
  for (let i = 0; i < 120; i++)
    source.put(guitar('a b', `g${i}`, { brand: 'fender' }, '2026-01-01T00:00:00Z'));
  source.setSynced(true);
  const now = Date.parse('2026-01-01T00:03:20Z');

  it('computes every row for the template, ages as kubectl shows them', () => {
    const fragment = listFragment(store, { namespace: '', brand: '', page: 1 }, now);
    expect(fragment).toMatchObject({ synced: true, total: 120, page: 1, pages: 3, filtered: false });
    expect(fragment.rows[0]).toMatchObject({
      name: 'g0',
      age: '3m20s',
      createdIso: '2026-01-01T00:00:00.000Z',
      badge: { monogram: 'Fe' },
      deleteHref: '/guitars/a%20b/g0/delete',
    });
    expect(fragment.scope).toEqual({ clusterWide: false, namespace: 'a b', reason: 'r' });
  });

  it("carries the guitar's uid in its delete link, so the delete page can tell it was replaced", () => {
    const own = new GuitarStore();
    const cache = new FakeCache();
    own.attach(cache, { clusterWide: true });
    const shown = guitar('shop', 'strat', { brand: 'fender' });
    shown.metadata = { ...shown.metadata, uid: 'u/1 2' };
    cache.put(shown);
    cache.setSynced(true);
    expect(listFragment(own, { namespace: '', brand: '', page: 1 }, now).rows[0]?.deleteHref).toBe(
      '/guitars/shop/strat/delete?uid=u%2F1%202',
    );
  });

  it('links the neighbouring pages, keeping the filters, and the live fragment', () => {
    const fragment = listFragment(store, { namespace: 'a b', brand: 'fender', page: 2 }, now);
    expect(fragment.prevHref).toBe('/?namespace=a+b&brand=fender');
    expect(fragment.nextHref).toBe('/?namespace=a+b&brand=fender&page=3');
    expect(fragment.fragmentHref).toBe('/fragments/guitars?namespace=a+b&brand=fender&page=2');
    const last = listFragment(store, { namespace: '', brand: '', page: 3 }, now);
    expect(last).toMatchObject({ page: 3, pastEnd: false, nextHref: undefined, prevHref: '/?page=2' });
  });

  it('says when the page is past the last one, linking to the last, with no neighbours', () => {
    const past = listFragment(store, { namespace: '', brand: 'fender', page: 99 }, now);
    expect(past).toMatchObject({
      page: 99,
      pages: 3,
      pastEnd: true,
      rows: [],
      lastHref: '/?brand=fender&page=3',
      prevHref: undefined,
      nextHref: undefined,
    });
    expect(listFragment(store, { namespace: '', brand: 'nobody', page: 2 }, now)).toMatchObject({
      pastEnd: true,
      lastHref: '/?brand=nobody',
    });
  });

  it('encodes paths', () => {
    expect(guitarHref('a/b', 'c?d')).toBe('/guitars/a%2Fb/c%3Fd');
  });
});
