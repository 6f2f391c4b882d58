import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, waitFor } from '@guitars/testenv';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { apiMessage, apiStatus } from './errors.js';
import { KubeHttp, type KubeHttpRequest } from './http.js';

const cluster = new Cluster(inject('testenv'));

interface ConfigMap {
  metadata: { name: string; resourceVersion: string; managedFields?: Array<{ manager: string }> };
  data?: Record<string, string>;
}

describe('KubeHttp', () => {
  it('creates, merge-patches (answer parsed, or dropped by send) and reads with the admin client certificate', async () => {
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
      // send(): the same kind of write, its answer dropped; a read shows it landed.
      await expect(
        client.send({
          method: 'PATCH',
          path: `${path}/one`,
          body: { data: { c: '3' } },
          contentType: 'application/merge-patch+json',
        }),
      ).resolves.toBeUndefined();
      expect((await client.request<ConfigMap>({ method: 'GET', path: `${path}/one` })).data).toEqual({
        a: '1',
        b: '2',
        c: '3',
      });
    } finally {
      client.close();
    }
  });

  it('throws the apiserver’s answer as a KubeApiError: status and message, for 404 and 409, from request and send', async () => {
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
      // A stale write, refused with 409: request() and send() alike read the refusal for its message.
      const stalePatch: KubeHttpRequest = {
        method: 'PATCH',
        path: `${path}/two`,
        body: { metadata: { resourceVersion: created.metadata.resourceVersion }, data: { x: '2' } },
        contentType: 'application/merge-patch+json',
      };
      for (const stale of [
        await client.request(stalePatch).catch((err: unknown) => err),
        await client.send(stalePatch).catch((err: unknown) => err),
      ]) {
        expect(apiStatus(stale)).toBe(409);
        expect(apiMessage(stale)).toMatch(/the object has been modified/);
      }
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

  it('acts as a request’s bearerToken alone, not the kubeconfig’s client certificate', async () => {
    const namespace = await cluster.createNamespace('kube-http');
    await cluster.ensureServiceAccount(namespace, 'user');
    const token = await cluster.tokenFor(namespace, 'user');
    // The admin kubeconfig authenticates with a client certificate, which the apiserver would
    // prefer to any token: the user's requests must not carry it.
    const client = new KubeHttp(cluster.adminConfig());
    try {
      type Review = { status: { userInfo: { username: string } } };
      const review = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
      const path = '/apis/authentication.k8s.io/v1/selfsubjectreviews';
      const asUser = await client.request<Review>({ method: 'POST', path, body: review, bearerToken: token });
      expect(asUser.status.userInfo.username).toBe(`system:serviceaccount:${namespace}:user`);
      const refused = await client
        .request({ method: 'GET', path: `/api/v1/namespaces/${namespace}/secrets`, bearerToken: token })
        .catch((err: unknown) => err);
      expect(apiStatus(refused)).toBe(403);
      // A bad token is the user's 401; the client's own credentials still work afterwards.
      const expired = await client
        .request({ method: 'POST', path, body: review, bearerToken: 'not-a-token' })
        .catch((err: unknown) => err);
      expect(apiStatus(expired)).toBe(401);
      const asAdmin = await client.request<Review>({ method: 'POST', path, body: review });
      expect(asAdmin.status.userInfo.username).not.toContain('serviceaccount');
    } finally {
      client.close();
    }
  });

  it('reads the credentials once for many requests, and again after a 401', async () => {
    const namespace = await cluster.createNamespace('kube-http');
    await cluster.ensureServiceAccount(namespace, 'nobody');
    // An exec credential plugin whose token is already expired, so that client-node runs it on
    // every applyToHTTPSOptions; it hands out the token in tokenFile and counts its runs.
    const dir = mkdtempSync(join(tmpdir(), 'kube-http-exec-'));
    const tokenFile = join(dir, 'token');
    const runsFile = join(dir, 'runs');
    writeFileSync(tokenFile, 'not-a-valid-token');
    writeFileSync(runsFile, '');
    const plugin = `const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(runsFile)}, 'x');
process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential',
  status: { token: fs.readFileSync(${JSON.stringify(tokenFile)}, 'utf8'), expirationTimestamp: '2000-01-01T00:00:00Z' } }));`;
    const admin = cluster.adminConfig();
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [admin.getCurrentCluster()],
      users: [
        {
          name: 'exec',
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: process.execPath,
            args: ['-e', plugin],
            interactiveMode: 'Never',
          },
        },
      ],
      contexts: [{ name: 'exec', cluster: admin.getCurrentCluster()?.name ?? '', user: 'exec' }],
      currentContext: 'exec',
    });
    const runs = () => readFileSync(runsFile, 'utf8').length;
    const client = new KubeHttp(kc);
    try {
      const refused = await client.request({ method: 'GET', path: '/version' }).catch((err: unknown) => err);
      expect(apiStatus(refused)).toBe(401);
      expect(runs()).toBe(1);
      // The plugin now hands out a valid token: the 401 dropped the old one, so the next request
      // runs the plugin again and gets through; the ones after it reuse that reading.
      writeFileSync(tokenFile, await cluster.tokenFor(namespace, 'nobody'));
      for (let i = 0; i < 5; i++)
        expect(
          await client.request<{ gitVersion: string }>({ method: 'GET', path: '/version' }),
        ).toHaveProperty('gitVersion');
      expect(runs()).toBe(2);
    } finally {
      client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an unreachable apiserver with no status (transient)', async () => {
    const client = new KubeHttp(unreachable());
    const err = await client.request({ method: 'GET', path: '/version' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(apiStatus(err)).toBeUndefined();
  });

  it('watches from a resourceVersion: each change once, in order, until aborted', async () => {
    const namespace = await cluster.createNamespace('kube-http');
    const client = new KubeHttp(cluster.adminConfig());
    const path = `/api/v1/namespaces/${namespace}/configmaps`;
    try {
      const first = await client.request<ConfigMap>({
        method: 'POST',
        path,
        body: { metadata: { name: 'a' } },
      });
      const seen: string[] = [];
      const ends: unknown[] = [];
      const controller = await client.watch(
        path,
        { resourceVersion: first.metadata.resourceVersion },
        (type, object) => seen.push(`${type} ${(object as ConfigMap).metadata.name}`),
        (err) => ends.push(err),
      );
      // Many events in a row, some in one chunk, some split across chunks.
      for (let i = 0; i < 50; i++)
        await client.request({
          method: 'POST',
          path,
          body: { metadata: { name: `b${i}` }, data: { n: 'é'.repeat(i * 50) } },
        });
      await client.request({ method: 'DELETE', path: `${path}/a` });
      const expected = [...Array.from({ length: 50 }, (_, i) => `ADDED b${i}`), 'DELETED a'];
      await waitFor('the watch to deliver every change', async () => seen.length >= expected.length, 10_000);
      expect(seen).toEqual(expected);
      expect(ends).toEqual([]);
      controller.abort();
      controller.abort();
      expect(ends).toEqual([null]);
    } finally {
      client.close();
    }
  });

  it('ends a refused or unreachable watch once, with the status and message, before it resolves', async () => {
    const namespace = await cluster.createNamespace('kube-http');
    await cluster.ensureServiceAccount(namespace, 'nobody');
    const { kc } = await cluster.kubeconfigFor(namespace, 'nobody');
    for (const config of [kc, unreachable()]) {
      const client = new KubeHttp(config);
      const ends: unknown[] = [];
      await client.watch(
        `/api/v1/namespaces/${namespace}/secrets`,
        {},
        () => {},
        (err) => ends.push(err),
      );
      expect(ends).toHaveLength(1);
      if (config === kc) {
        expect(apiStatus(ends[0])).toBe(403);
        expect(apiMessage(ends[0])).toContain('cannot watch resource "secrets"');
      } else {
        expect(apiStatus(ends[0])).toBeUndefined();
      }
      client.close();
    }
  });

  it('ends a watch whose stream breaks (a line that is not JSON, a cut connection) with an error', async () => {
    // A stand-in apiserver for what a real one does not send: a garbled line, a connection cut.
    const lines = ['{"type":"ADDED","object":{"metadata":{"name":"one"}}}', '{"type":"ADDED","obj'];
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.includes('cut')) {
        res.write(`${lines[0]}\n`);
        setTimeout(() => res.socket?.destroy(), 50);
      } else {
        res.end(`${lines[0]}\n${lines[1]}\n`);
      }
    });
    await listen(server);
    const client = new KubeHttp(plainConfig(`http://127.0.0.1:${port(server)}`));
    try {
      for (const path of ['/garbled', '/cut']) {
        const seen: string[] = [];
        const ends: unknown[] = [];
        await client.watch(
          path,
          {},
          (type) => seen.push(type),
          (err) => ends.push(err),
        );
        await waitFor('the watch to end', async () => ends.length > 0, 5_000);
        expect(seen).toEqual(['ADDED']);
        expect(ends).toHaveLength(1);
        expect(String(ends[0])).toMatch(
          path === '/cut' ? /connection was cut/ : /not JSON: \{"type":"ADDED","obj/,
        );
      }
    } finally {
      client.close();
      server.close();
    }
  });

  it('goes through the kubeconfig proxy-url, for requests and watches', async () => {
    // A real HTTP CONNECT proxy, counting the tunnels it opens.
    const tunnels: string[] = [];
    const proxy = createServer();
    proxy.on('connect', (req, client, head) => {
      tunnels.push(req.url ?? '');
      const [host, targetPort] = (req.url ?? '').split(':');
      const upstream = connect(Number(targetPort), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client).pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await listen(proxy);
    const kc = cluster.adminConfig();
    const current = kc.getCurrentCluster();
    if (!current) throw new Error('no current cluster');
    kc.clusters = kc.clusters.map((c) =>
      c.name === current.name ? { ...c, proxyUrl: `http://127.0.0.1:${port(proxy)}` } : c,
    );
    const namespace = await cluster.createNamespace('kube-http');
    const client = new KubeHttp(kc);
    try {
      const path = `/api/v1/namespaces/${namespace}/configmaps`;
      const events: string[] = [];
      const controller = await client.watch(
        path,
        {},
        (type) => events.push(type),
        () => {},
      );
      await client.request({ method: 'POST', path, body: { metadata: { name: 'via-proxy' } } });
      await waitFor('the watch to see it', async () => events.includes('ADDED'), 10_000);
      controller.abort();
      const server = new URL(current.server);
      expect(tunnels.length).toBeGreaterThanOrEqual(2);
      expect(new Set(tunnels)).toEqual(new Set([`${server.hostname}:${server.port}`]));
    } finally {
      client.close();
      proxy.close();
    }
  });
});

function plainConfig(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

/** Nothing listens on port 1. */
const unreachable = () => plainConfig('https://127.0.0.1:1');

async function listen(server: Server): Promise<void> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
}

function port(server: Server): number {
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('not listening');
  return address.port;
}
