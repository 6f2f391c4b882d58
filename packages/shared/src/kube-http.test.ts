import { Cluster } from '@guitars/testenv';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { apiMessage, apiStatus } from './api-errors.js';
import { KubeHttp } from './kube-http.js';

const cluster = new Cluster(inject('testenv'));

interface ConfigMap {
  metadata: { name: string; resourceVersion: string; managedFields?: Array<{ manager: string }> };
  data?: Record<string, string>;
}

describe('KubeHttp', () => {
  it('creates, merge-patches and reads with the admin client certificate, one connection reused', async () => {
    const namespace = await cluster.createNamespace('kube-http');
    const client = new KubeHttp(cluster.adminConfig());
    const path = `/api/v1/namespaces/${namespace}/configmaps`;
    try {
      await client.request({ method: 'POST', path, body: { metadata: { name: 'one' }, data: { a: '1' } } });
      const patched = await client.request<ConfigMap>({
        method: 'PATCH',
        path: `${path}/one`,
        query: { fieldManager: 'kube-http-test', dryRun: undefined },
        body: { data: { b: '2' } },
        contentType: 'application/merge-patch+json',
      });
      expect(patched.data).toEqual({ a: '1', b: '2' });
      expect(patched.metadata.managedFields?.map((f) => f.manager)).toContain('kube-http-test');
      // As kubectl sees it: the patch landed.
      expect(
        await cluster.kubectlOk(['get', 'configmap', 'one', '-n', namespace, '-o', 'jsonpath={.data.b}']),
      ).toBe('2');
    } finally {
      client.close();
    }
  });

  it('throws the apiserver’s answer as an ApiException: status and message, for 404 and 409', async () => {
    const namespace = await cluster.createNamespace('kube-http');
    const client = new KubeHttp(cluster.adminConfig());
    const path = `/api/v1/namespaces/${namespace}/configmaps`;
    try {
      const missing = await client
        .request({ method: 'GET', path: `${path}/none` })
        .catch((err: unknown) => err);
      expect(apiStatus(missing)).toBe(404);
      expect(apiMessage(missing)).toBe('configmaps "none" not found');

      const created = await client.request<ConfigMap>({
        method: 'POST',
        path,
        body: { metadata: { name: 'two' } },
      });
      await client.request({
        method: 'PATCH',
        path: `${path}/two`,
        body: { data: { x: '1' } },
        contentType: 'application/merge-patch+json',
      });
      const stale = await client
        .request({
          method: 'PATCH',
          path: `${path}/two`,
          body: { metadata: { resourceVersion: created.metadata.resourceVersion }, data: { x: '2' } },
          contentType: 'application/merge-patch+json',
        })
        .catch((err: unknown) => err);
      expect(apiStatus(stale)).toBe(409);
      expect(apiMessage(stale)).toMatch(/the object has been modified/);
    } finally {
      client.close();
    }
  });

  it('authenticates with a ServiceAccount token, and its 403 says what was refused', async () => {
    const namespace = await cluster.createNamespace('kube-http');
    await cluster.ensureServiceAccount(namespace, 'nobody');
    const { kc } = await cluster.kubeconfigFor(namespace, 'nobody');
    const client = new KubeHttp(kc);
    try {
      const refused = await client
        .request({ method: 'GET', path: `/api/v1/namespaces/${namespace}/secrets` })
        .catch((err: unknown) => err);
      expect(apiStatus(refused)).toBe(403);
      expect(apiMessage(refused)).toContain(`system:serviceaccount:${namespace}:nobody`);
    } finally {
      client.close();
    }
  });

  it('reports an unreachable apiserver with no status (transient), and is not usable through a proxy', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const client = new KubeHttp(kc);
    const err = await client.request({ method: 'GET', path: '/version' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(apiStatus(err)).toBeUndefined();
    expect(KubeHttp.usable(kc)).toBe(true);

    const proxied = new KubeConfig();
    proxied.loadFromOptions({
      clusters: [
        { name: 'c', server: 'https://10.0.0.1', skipTLSVerify: true, proxyUrl: 'http://proxy:3128' },
      ],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    expect(KubeHttp.usable(proxied)).toBe(false);
  });
});
