import { connect, KubeApiError } from '@guitars/shared';
import { Cluster } from '@guitars/testenv';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { prepareCluster } from '../test-support/ui.js';
import { GuitarWriter, toHttpError } from './guitar-writer.js';

const cluster = new Cluster(inject('testenv'));
const connections: Array<{ close(): void }> = [];
afterAll(() => {
  for (const kube of connections) kube.close();
});
/** A writer acting as `kc`'s user, over the door as start.ts builds it. */
const writerAs = (kc: KubeConfig) => {
  const kube = connect(kc);
  connections.push(kube);
  return new GuitarWriter(kube.guitars);
};

const apiError = (code: number, status: Record<string, unknown> = {}) =>
  new KubeApiError(code, JSON.stringify({ kind: 'Status', message: `apiserver says ${code}`, ...status }), {
    method: 'POST',
    path: '/apis/kool.karmalabs.local/v1/namespaces/music/guitars',
  });
const target = { namespace: 'music', name: 'strat' };

describe('toHttpError', () => {
  it.each([
    [apiError(403), 403, 'apiserver says 403'],
    [
      apiError(404, { details: { name: 'strat', group: 'kool.karmalabs.local', kind: 'guitars' } }),
      404,
      'There is no guitar "strat" in namespace "music".',
    ],
    // No details: the apiserver does not serve guitars at all (missing-crd.cluster.test.ts).
    [apiError(404), 503, 'The Guitar CRD (guitars.kool.karmalabs.local) is not installed'],
    [apiError(404, { details: { kind: 'namespaces' } }), 422, 'Namespace "music" does not exist.'],
    [apiError(409), 409, 'A guitar "strat" in namespace "music" already exists.'],
    [apiError(422), 422, 'apiserver says 422'],
    [apiError(429), 503, 'cannot be reached'],
    [apiError(500), 503, 'cannot be reached'],
    [apiError(401), 502, 'apiserver says 401'],
    [new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') }), 503, 'cannot be reached'],
  ])('maps %s to %i', (err, status, message) => {
    const mapped = toHttpError(err, target);
    expect(mapped.status).toBe(status);
    expect(mapped.message).toContain(message);
  });

  it('names the field to blame', () => {
    expect(toHttpError(apiError(409), target).fields).toEqual({
      name: 'A guitar named "strat" already exists.',
    });
    expect(toHttpError(apiError(404, { details: { kind: 'namespaces' } }), target).fields).toHaveProperty(
      'namespace',
    );
    expect(toHttpError(apiError(503), target).headers).toEqual({ 'Retry-After': '5' });
  });
});

describe('GuitarWriter before any request', () => {
  // A cluster where nothing listens: an answer other than 503 ("cannot be reached") was never sent.
  const nowhere = new KubeConfig();
  nowhere.loadFromOptions({
    clusters: [{ name: 'nowhere', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'nobody', token: 'x' }],
    contexts: [{ name: 'nowhere', cluster: 'nowhere', user: 'nobody' }],
    currentContext: 'nowhere',
  });
  const writer = writerAs(nowhere);

  it.each([
    ['namespace', '..', 'strat'],
    ['namespace', '', 'strat'],
    ['namespace', 'a/b', 'strat'],
    ['name', 'music', '.'],
    ['name', 'music', '..'],
    ['name', 'music', ''],
    ['name', 'music', '../..'],
    ['name', 'music', 'a\\b'],
    ['name', 'music', 'x'.repeat(254)],
  ])('refuses a bad %s (%j, %j) with 400, sending nothing', async (field, namespace, name) => {
    for (const call of [() => writer.delete(namespace, name), () => writer.get(namespace, name)]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toMatchObject({
        status: 400,
        fields: { [field]: expect.stringContaining('is not a valid') },
      });
    }
  });

  it('refuses a bad namespace on create too, and otherwise tries the cluster', async () => {
    const err = await writer
      .create({ namespace: '..', name: 'strat', brand: 'fender' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400 });
    expect(await writer.delete('music', 'strat').catch((e: unknown) => e)).toMatchObject({ status: 503 });
  });
});

describe('GuitarWriter against the apiserver', () => {
  let ns: string;

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('writer');
  });

  it('creates a guitar asking for a review, reads it, and deletes it', async () => {
    const writer = writerAs(cluster.adminConfig());
    const created = await writer.create({ namespace: ns, name: 'strat', brand: 'fender' });
    expect(created).toMatchObject({
      metadata: { name: 'strat', namespace: ns },
      spec: { brand: 'fender', review: false },
    });
    expect(await writer.get(ns, 'strat')).toMatchObject({ spec: { brand: 'fender' } });
    await writer.delete(ns, 'strat');
    await expect(writer.get(ns, 'strat')).rejects.toMatchObject({ status: 404 });
  });

  it("reports RBAC's refusal with the apiserver's own words", async () => {
    await cluster.ensureServiceAccount(ns, 'nobody');
    const { kc } = await cluster.kubeconfigFor(ns, 'nobody');
    const err = await writerAs(kc)
      .create({ namespace: ns, name: 'strat', brand: 'fender' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 403 });
    expect((err as Error).message).toBe(
      `guitars.kool.karmalabs.local is forbidden: User "system:serviceaccount:${ns}:nobody" cannot create resource "guitars" in API group "kool.karmalabs.local" in the namespace "${ns}"`,
    );
  });

  it("acts as a signed-in user's token: RBAC's refusal names the user, the verb and the namespace", async () => {
    await cluster.ensureServiceAccount(ns, 'visitor');
    const token = await cluster.tokenFor(ns, 'visitor');
    // The writer's own client may do anything; the user may do nothing.
    const writer = writerAs(cluster.adminConfig());
    const actor = { user: `system:serviceaccount:${ns}:visitor`, token };
    for (const attempt of [
      () => writer.create({ namespace: ns, name: 'strat', brand: 'fender' }, actor),
      () => writer.delete(ns, 'strat', actor),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 403 });
      expect((err as Error).message).toMatch(
        new RegExp(`^You \\(${actor.user}\\) may not (create|delete) guitars in namespace "${ns}"\\.`),
      );
    }
    expect(await writer.get(ns, 'strat').catch((e: unknown) => e)).toMatchObject({ status: 404 });
    const expired = await writer
      .create({ namespace: ns, name: 'strat', brand: 'fender' }, { user: 'x', token: 'not-a-token' })
      .catch((e: unknown) => e);
    expect(expired).toMatchObject({
      status: 401,
      message: 'Your sign-in has expired: sign out and sign in again.',
    });
  });
});
