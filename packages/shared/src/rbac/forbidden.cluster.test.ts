import { Cluster } from '@guitars/testenv';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, ensureGuitarCrd, type Kube, KubeApiError } from '../kube/index.js';
import { parseForbidden } from './forbidden.js';

const cluster = new Cluster(inject('testenv'));

/** The apiserver's refusal of `request`, made as a ServiceAccount with no rights at all. */
async function refusedAsNobody(namespace: string, request: (kube: Kube) => Promise<unknown>) {
  await cluster.ensureServiceAccount(namespace, 'nobody');
  const kube = connect((await cluster.kubeconfigFor(namespace, 'nobody')).kc);
  try {
    await request(kube);
  } catch (err) {
    return err;
  } finally {
    kube.close();
  }
  throw new Error('the request was allowed');
}

describe('parseForbidden, on real refusals of a kube-apiserver', () => {
  let namespace: string;
  beforeAll(async () => {
    await ensureGuitarCrd(cluster.adminConfig());
    namespace = await cluster.createNamespace('forbidden');
  });

  it('reads who, what verb, which resource and group, at the cluster scope', async () => {
    const err = await refusedAsNobody(namespace, (kube) => kube.guitars.list({ limit: 1 }));
    expect(parseForbidden(err)).toEqual({
      user: `system:serviceaccount:${namespace}:nobody`,
      verb: 'list',
      resource: 'guitars',
      group: 'kool.karmalabs.local',
      name: undefined,
      namespace: undefined,
      message: expect.stringContaining('at the cluster scope'),
    });
  });

  it('reads the namespace and the name of a refused object, in the core group too', async () => {
    const lease = await refusedAsNobody(namespace, (kube) =>
      kube.leases.get(namespace, 'guitars-controller'),
    );
    expect(parseForbidden(lease)).toMatchObject({
      verb: 'get',
      resource: 'leases',
      group: 'coordination.k8s.io',
      name: 'guitars-controller',
      namespace,
    });
    const event = await refusedAsNobody(namespace, (kube) =>
      kube.events.create(namespace, { metadata: { name: 'e' }, involvedObject: {} }),
    );
    expect(parseForbidden(event)).toMatchObject({ verb: 'create', resource: 'events', group: '', namespace });
  });

  it('reads a refused watch as the informer meets it', async () => {
    await cluster.ensureServiceAccount(namespace, 'nobody');
    const kube = connect((await cluster.kubeconfigFor(namespace, 'nobody')).kc);
    const err = await new Promise<unknown>((resolve) => {
      void kube.guitars.select({ namespace }).watch({ resourceVersion: '0' }, () => {}, resolve);
    });
    kube.close();
    expect(parseForbidden(err)).toMatchObject({
      user: `system:serviceaccount:${namespace}:nobody`,
      verb: 'watch',
      resource: 'guitars',
      namespace,
    });
  });
});

describe('parseForbidden, on anything else', () => {
  const request = { method: 'GET', path: '/apis/kool.karmalabs.local/v1/guitars' };

  it('is undefined for other statuses and for errors without one', () => {
    expect(parseForbidden(new KubeApiError(404, '{"code":404}', request))).toBeUndefined();
    expect(parseForbidden(new Error('connect ECONNREFUSED'))).toBeUndefined();
    expect(parseForbidden(undefined)).toBeUndefined();
  });

  it("takes what a 403 says when its message is not the apiserver's usual one (a proxy, a webhook)", () => {
    const body = JSON.stringify({
      kind: 'Status',
      code: 403,
      message: 'denied by policy',
      details: { group: 'kool.karmalabs.local', kind: 'guitars', name: 'strat' },
    });
    expect(parseForbidden(new KubeApiError(403, body, request))).toEqual({
      user: undefined,
      verb: undefined,
      resource: 'guitars',
      group: 'kool.karmalabs.local',
      name: 'strat',
      namespace: undefined,
      message: 'denied by policy',
    });
    expect(parseForbidden(new KubeApiError(403, '<html>no</html>', request))).toMatchObject({
      resource: '',
      message: '<html>no</html>',
    });
  });

  it('unquotes a user name with quotes in it', () => {
    const message =
      'guitars.kool.karmalabs.local is forbidden: User "eve \\"the\\" admin" cannot delete resource "guitars" in API group "kool.karmalabs.local" in the namespace "shop"';
    const err = new KubeApiError(403, JSON.stringify({ message, code: 403 }), request);
    expect(parseForbidden(err)).toMatchObject({ user: 'eve "the" admin', verb: 'delete', namespace: 'shop' });
  });
});
