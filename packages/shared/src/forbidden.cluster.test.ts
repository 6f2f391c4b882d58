import { Cluster } from '@guitars/testenv';
import { ApiException } from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureGuitarCrd } from './crd.js';
import { parseForbidden } from './forbidden.js';
import { guitarPath } from './guitar.js';
import { KubeHttp } from './kube-http.js';
import { resourcePath } from './resource-path.js';

const cluster = new Cluster(inject('testenv'));

/** The apiserver's refusal of `request`, made as a ServiceAccount with no rights at all. */
async function refusedAsNobody(namespace: string, request: (http: KubeHttp) => Promise<unknown>) {
  await cluster.ensureServiceAccount(namespace, 'nobody');
  const http = new KubeHttp((await cluster.kubeconfigFor(namespace, 'nobody')).kc);
  try {
    await request(http);
  } catch (err) {
    return err;
  } finally {
    http.close();
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
    const err = await refusedAsNobody(namespace, (http) =>
      http.request({ method: 'GET', path: guitarPath() }),
    );
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
    const lease = await refusedAsNobody(namespace, (http) =>
      http.request({
        method: 'GET',
        path: resourcePath('/apis/coordination.k8s.io/v1', 'leases', namespace, 'guitars-controller'),
      }),
    );
    expect(parseForbidden(lease)).toMatchObject({
      verb: 'get',
      resource: 'leases',
      group: 'coordination.k8s.io',
      name: 'guitars-controller',
      namespace,
    });
    const event = await refusedAsNobody(namespace, (http) =>
      http.request({
        method: 'POST',
        path: `/api/v1/namespaces/${namespace}/events`,
        body: { metadata: { name: 'e' }, involvedObject: {} },
      }),
    );
    expect(parseForbidden(event)).toMatchObject({ verb: 'create', resource: 'events', group: '', namespace });
  });

  it('reads a refused watch as the informer meets it', async () => {
    await cluster.ensureServiceAccount(namespace, 'nobody');
    const http = new KubeHttp((await cluster.kubeconfigFor(namespace, 'nobody')).kc);
    const err = await new Promise<unknown>((resolve) => {
      void http.watch(guitarPath(namespace), {}, () => {}, resolve);
    });
    http.close();
    expect(parseForbidden(err)).toMatchObject({
      user: `system:serviceaccount:${namespace}:nobody`,
      verb: 'watch',
      resource: 'guitars',
      namespace,
    });
  });
});

describe('parseForbidden, on anything else', () => {
  it('is undefined for other statuses and for errors without one', () => {
    expect(parseForbidden(new ApiException(404, 'not found', '{"code":404}', {}))).toBeUndefined();
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
    expect(parseForbidden(new ApiException(403, 'forbidden', body, {}))).toEqual({
      user: undefined,
      verb: undefined,
      resource: 'guitars',
      group: 'kool.karmalabs.local',
      name: 'strat',
      namespace: undefined,
      message: 'denied by policy',
    });
    expect(parseForbidden(new ApiException(403, 'forbidden', '<html>no</html>', {}))).toMatchObject({
      resource: '',
      message: '<html>no</html>',
    });
  });

  it('unquotes a user name with quotes in it', () => {
    const message =
      'guitars.kool.karmalabs.local is forbidden: User "eve \\"the\\" admin" cannot delete resource "guitars" in API group "kool.karmalabs.local" in the namespace "shop"';
    const err = new ApiException(403, 'forbidden', JSON.stringify({ message, code: 403 }), {});
    expect(parseForbidden(err)).toMatchObject({ user: 'eve "the" admin', verb: 'delete', namespace: 'shop' });
  });
});
