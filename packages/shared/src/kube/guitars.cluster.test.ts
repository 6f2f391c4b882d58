import { Cluster, waitFor } from '@guitars/testenv';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_VERSION, type Guitar, KIND } from '../guitar/guitar.js';
import { apiMessage, apiStatus } from './errors.js';
import { connect, ensureGuitarCrd } from './index.js';
import { InvalidNameError } from './names.js';

const cluster = new Cluster(inject('testenv'));
const kube = connect(cluster.adminConfig());
afterAll(() => kube.close());

const guitar = (namespace: string, name: string, brand = 'fender'): Guitar => ({
  apiVersion: API_VERSION,
  kind: KIND,
  metadata: { name, namespace },
  spec: { brand, review: false },
});

/** A guitar as kubectl reads it: the independent witness. */
const kubectlGet = async (namespace: string, name: string) =>
  JSON.parse(
    await cluster.kubectlOk(['get', 'guitar', name, '-n', namespace, '-o', 'json', '--show-managed-fields']),
  ) as Guitar;

describe('kube.guitars', () => {
  let namespace: string;
  beforeAll(async () => {
    await ensureGuitarCrd(cluster.adminConfig());
    namespace = await cluster.createNamespace('kube-guitars');
  });

  it('creates, gets, merge-patches with a resourceVersion precondition, and deletes', async () => {
    const created = await kube.guitars.create(guitar(namespace, 'strat'));
    expect(created.metadata.resourceVersion).toBeTruthy();
    expect((await kube.guitars.get(namespace, 'strat')).metadata?.uid).toBe(created.metadata.uid);

    const patch = {
      metadata: { resourceVersion: created.metadata.resourceVersion as string },
      spec: { review: true, comment: 'ok' },
    };
    await expect(kube.guitars.patch(namespace, 'strat', patch, { fieldManager: 'door-test' })).resolves.toBe(
      undefined,
    );
    const patched = await kubectlGet(namespace, 'strat');
    expect(patched.spec).toEqual({ brand: 'fender', review: true, comment: 'ok' });
    expect(patched.metadata.managedFields?.map((f) => f.manager)).toContain('door-test');
    // The same precondition again: the guitar changed since, so the apiserver refuses it.
    const stale = await kube.guitars.patch(namespace, 'strat', patch).catch((err: unknown) => err);
    expect(apiStatus(stale)).toBe(409);
    expect(apiMessage(stale)).toMatch(/the object has been modified/);
    expect((await kubectlGet(namespace, 'strat')).spec.comment).toBe('ok');

    await kube.guitars.delete(namespace, 'strat');
    const gone = await kube.guitars.get(namespace, 'strat').catch((err: unknown) => err);
    expect(apiStatus(gone)).toBe(404);
    expect(apiMessage(gone)).toBe('guitars.kool.karmalabs.local "strat" not found');
  });

  it('deletes with preconditions only the guitar they describe (uid, resourceVersion)', async () => {
    const first = await kube.guitars.create(guitar(namespace, 'precond'));
    await kube.guitars.delete(namespace, 'precond');
    // The same name again: another object, another uid.
    const second = await kube.guitars.create(guitar(namespace, 'precond'));
    const stale = [
      { uid: first.metadata.uid as string },
      { resourceVersion: first.metadata.resourceVersion as string },
    ];
    for (const preconditions of stale) {
      const refused = await kube.guitars
        .delete(namespace, 'precond', {}, preconditions)
        .catch((err: unknown) => err);
      expect(apiStatus(refused), JSON.stringify(preconditions)).toBe(409);
      expect(apiMessage(refused)).toMatch(/in the precondition .* does not match/);
      expect((await kube.guitars.get(namespace, 'precond')).metadata?.uid).toBe(second.metadata.uid);
    }
    await kube.guitars.delete(
      namespace,
      'precond',
      {},
      {
        uid: second.metadata.uid as string,
        resourceVersion: second.metadata.resourceVersion as string,
      },
    );
    expect(apiStatus(await kube.guitars.get(namespace, 'precond').catch((err: unknown) => err))).toBe(404);
  });

  it('lists in pages, of one namespace or matching a label selector', async () => {
    const namespace = await cluster.createNamespace('kube-guitars-list');
    const names = ['a1', 'a2', 'a3'];
    for (const name of names) await kube.guitars.create(guitar(namespace, name));
    await cluster.kubectlOk(['label', 'guitar', 'a2', '-n', namespace, 'pick=me']);
    const mine = kube.guitars.select({ namespace });

    const first = await mine.list({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.metadata.continue).toBeTruthy();
    const second = await mine.list({ limit: 2, continue: first.metadata.continue });
    expect(second.metadata.continue).toBeUndefined();
    expect([...first.items, ...second.items].map((g) => g.metadata?.name).sort()).toEqual(names);
    expect(second.metadata.resourceVersion).toMatch(/^\d+$/);

    const picked = await kube.guitars.select({ namespace, labelSelector: 'pick=me' }).list({ limit: 10 });
    expect(picked.items.map((g) => g.metadata?.name)).toEqual(['a2']);
    // All namespaces: ours are among them.
    const all = await kube.guitars.list({ limit: 500, resourceVersion: '0' });
    expect(all.items.filter((g) => g.metadata?.namespace === namespace)).toHaveLength(3);
  });

  it('watches from a resourceVersion: events in order, bookmarks asked for, done(null) on abort', async () => {
    const ns = await cluster.createNamespace('kube-guitars-watch');
    const mine = kube.guitars.select({ namespace: ns });
    const { metadata } = await mine.list({ limit: 1 });
    const events: Array<[string, string | undefined]> = [];
    let ended: unknown = 'not yet';
    const abort = await mine.watch(
      { resourceVersion: metadata.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 60 },
      (type, object: KubernetesObject) => events.push([type, object.metadata?.name]),
      (err) => {
        ended = err;
      },
    );
    await kube.guitars.create(guitar(ns, 'w1'));
    await kube.guitars.delete(ns, 'w1');
    // Another namespace's guitar is not this watch's.
    await kube.guitars.create(guitar(namespace, 'elsewhere'));
    await waitFor('two events', async () => events.filter(([t]) => t !== 'BOOKMARK').length >= 2, 20_000);
    expect(events.filter(([t]) => t !== 'BOOKMARK')).toEqual([
      ['ADDED', 'w1'],
      ['DELETED', 'w1'],
    ]);
    abort.abort();
    await waitFor('done', async () => ended !== 'not yet', 5_000);
    expect(ended).toBeNull();
  });

  it('acts as a bearer token alone: a user without rights is refused, and nothing is written', async () => {
    await cluster.ensureServiceAccount(namespace, 'visitor');
    const token = await cluster.tokenFor(namespace, 'visitor');
    const refused = await kube.guitars
      .create(guitar(namespace, 'intruder'), { bearerToken: token })
      .catch((err: unknown) => err);
    expect(apiStatus(refused)).toBe(403);
    expect(apiMessage(refused)).toContain(`system:serviceaccount:${namespace}:visitor`);
    expect(apiStatus(await kube.guitars.get(namespace, 'intruder').catch((err: unknown) => err))).toBe(404);
  });

  it.each(['..', '.', '', 'a/b', '%2e%2e'])('refuses the name %j before sending anything', async (name) => {
    for (const call of [
      () => kube.guitars.get(namespace, name),
      () => kube.guitars.delete(namespace, name),
      () => kube.guitars.patch(namespace, name, { metadata: { resourceVersion: '1' } }),
      () => kube.guitars.create(guitar(name, 'strat')),
    ])
      await expect(call()).rejects.toThrow(InvalidNameError);
    const elsewhere = kube.guitars.select({ namespace: name });
    await expect(elsewhere.list({})).rejects.toThrow(InvalidNameError);
    await expect(
      elsewhere.watch(
        { resourceVersion: '0' },
        () => {},
        () => {},
      ),
    ).rejects.toThrow(InvalidNameError);
  });
});
