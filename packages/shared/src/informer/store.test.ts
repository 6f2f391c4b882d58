import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { type Delta, Store, trimForCache } from './store.js';

function guitar(namespace: string, name: string, resourceVersion: string): KubernetesObject {
  return {
    apiVersion: 'kool.karmalabs.local/v1',
    kind: 'Guitar',
    metadata: { namespace, name, resourceVersion },
  };
}

/** Deltas as "type ns/name@version", in order. */
function summary(deltas: Array<Delta | undefined>): string[] {
  return deltas.map((d) =>
    d
      ? `${d.type} ${d.object.metadata?.namespace}/${d.object.metadata?.name}@${d.object.metadata?.resourceVersion}`
      : '-',
  );
}

describe('Store', () => {
  it('files by namespace and name, and lists one namespace or all', () => {
    const store = new Store();
    store.upsert(guitar('a', 'strat', '1'));
    store.upsert(guitar('a', 'tele', '2'));
    store.upsert(guitar('b', 'strat', '3'));
    expect(store.size).toBe(3);
    expect(store.get('a', 'strat')?.metadata?.resourceVersion).toBe('1');
    expect(store.get('b', 'strat')?.metadata?.resourceVersion).toBe('3');
    expect(store.get('b', 'tele')).toBeUndefined();
    expect(store.list('a').map((o) => o.metadata?.name)).toEqual(['strat', 'tele']);
    expect(store.list('c')).toEqual([]);
    expect(store.list().map((o) => o.metadata?.resourceVersion)).toEqual(['1', '2', '3']);
  });

  it('says add, update with the old object, delete, and nothing for what did not change', () => {
    const store = new Store();
    const first = guitar('a', 'strat', '1');
    const deltas = [
      store.upsert(first),
      store.upsert(guitar('a', 'strat', '1')),
      store.upsert(guitar('a', 'strat', '2')),
      store.delete(guitar('a', 'strat', '3')),
      store.delete(guitar('a', 'strat', '3')),
    ];
    expect(summary(deltas)).toEqual(['add a/strat@1', '-', 'update a/strat@2', 'delete a/strat@3', '-']);
    expect(deltas[2]?.type === 'update' && deltas[2].old).toBe(first);
    expect(store.size).toBe(0);
    expect(store.list()).toEqual([]);
  });

  it('replaces with a fresh list: adds, updates, and deletes what the list no longer has', () => {
    const store = new Store();
    store.replace([guitar('a', 'kept', '1'), guitar('a', 'changed', '2'), guitar('a', 'gone', '3')]);
    store.upsert(guitar('b', 'namespace-gone', '4'));
    const deltas = store.replace([
      guitar('a', 'kept', '1'),
      guitar('a', 'changed', '5'),
      guitar('c', 'new', '6'),
    ]);
    expect(summary(deltas)).toEqual([
      'update a/changed@5',
      'add c/new@6',
      // Deleted while the watch was away: reported with the last state the cache had.
      'delete a/gone@3',
      'delete b/namespace-gone@4',
    ]);
    expect(store.size).toBe(3);
    expect(store.list('b')).toEqual([]);
    expect(
      store
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['changed', 'kept', 'new']);
  });

  it('empties on an empty list', () => {
    const store = new Store();
    store.replace([guitar('a', 'one', '1'), guitar('b', 'two', '2')]);
    expect(summary(store.replace([]))).toEqual(['delete a/one@1', 'delete b/two@2']);
    expect(store.size).toBe(0);
  });
});

describe('trimForCache', () => {
  it('drops managedFields without deleting the property, and leaves other objects alone', () => {
    const obj = { metadata: { name: 'x', managedFields: [{ manager: 'kubectl' }] } };
    trimForCache(obj);
    expect(obj.metadata.managedFields).toBeUndefined();
    expect(obj.metadata.name).toBe('x');
    for (const other of [null, undefined, 'text', {}, { metadata: null }])
      expect(() => trimForCache(other)).not.toThrow();
  });
});
