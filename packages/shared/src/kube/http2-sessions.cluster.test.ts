import { once } from 'node:events';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Cluster, createCertificateAuthority, type KeyPairPem, waitFor } from '@guitars/testenv';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TcpProxy, viaProxy } from '../test-support/tcp-proxy.js';
import { apiMessage, apiStatus } from './errors.js';
import { KubeHttp } from './http.js';

const cluster = new Cluster(inject('testenv'));

describe('KubeHttp over HTTP/2 (the apiserver through a TCP proxy that counts connections)', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const { hostname, port } = new URL(cluster.adminConfig().getCurrentCluster()?.server ?? '');
    proxy = await TcpProxy.start({ host: hostname, port: Number(port) });
  });
  afterAll(() => proxy?.close());

  it('sends twenty requests at once over one connection; DISABLE_HTTP2 opens a pool instead', async () => {
    const h2 = new KubeHttp(viaProxy(cluster.adminConfig(), proxy));
    try {
      const before = proxy.accepted;
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          h2.request<{ gitVersion: string }>({ method: 'GET', path: '/version' }),
        ),
      );
      expect(answers.every((a) => a.gitVersion.startsWith('v'))).toBe(true);
      expect(proxy.accepted - before).toBe(1);
    } finally {
      h2.close();
    }
    process.env.DISABLE_HTTP2 = '1';
    const h1 = new KubeHttp(viaProxy(cluster.adminConfig(), proxy));
    delete process.env.DISABLE_HTTP2;
    try {
      const before = proxy.accepted;
      await Promise.all(Array.from({ length: 20 }, () => h1.request({ method: 'GET', path: '/version' })));
      expect(proxy.accepted - before).toBeGreaterThan(1);
    } finally {
      h1.close();
    }
  });

  it('acts as a user’s token on a connection of its own, where a bad token is a 401', async () => {
    const namespace = await cluster.createNamespace('kube-h2');
    await cluster.ensureServiceAccount(namespace, 'user');
    const token = await cluster.tokenFor(namespace, 'user');
    const client = new KubeHttp(viaProxy(cluster.adminConfig(), proxy));
    try {
      const before = proxy.accepted;
      type Review = { status: { userInfo: { username: string } } };
      const review = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
      const path = '/apis/authentication.k8s.io/v1/selfsubjectreviews';
      const [asAdmin, asUser, expired] = await Promise.all([
        client.request<Review>({ method: 'POST', path, body: review }),
        client.request<Review>({ method: 'POST', path, body: review, bearerToken: token }),
        client
          .request({ method: 'POST', path, body: review, bearerToken: 'not-a-token' })
          .catch((err: unknown) => err),
      ]);
      expect(asAdmin.status.userInfo.username).not.toContain('serviceaccount');
      expect(asUser.status.userInfo.username).toBe(`system:serviceaccount:${namespace}:user`);
      expect(apiStatus(expired)).toBe(401);
      expect(apiMessage(expired)).toBe('Unauthorized');
      // The client certificate's connection and the tokens' one: the certificate never carries a token.
      expect(proxy.accepted - before).toBe(2);
    } finally {
      client.close();
    }
  });

  it('ends a watch whose connection is cut, and opens a new connection for the next request', async () => {
    const namespace = await cluster.createNamespace('kube-h2');
    const client = new KubeHttp(viaProxy(cluster.adminConfig(), proxy));
    const path = `/api/v1/namespaces/${namespace}/configmaps`;
    try {
      const seen: string[] = [];
      const ends: unknown[] = [];
      await client.watch(
        path,
        {},
        (type) => seen.push(type),
        (err) => ends.push(err),
      );
      await client.request({ method: 'POST', path, body: { metadata: { name: 'before-cut' } } });
      await waitFor('the watch to see it', async () => seen.includes('ADDED'), 10_000);
      const before = proxy.accepted;
      proxy.cut();
      await waitFor('the watch to end', async () => ends.length > 0, 10_000);
      expect(String(ends[0])).toMatch(/connection was cut/);
      await client.request({ method: 'POST', path, body: { metadata: { name: 'after-cut' } } });
      expect(proxy.accepted - before).toBe(1);
      expect(ends).toHaveLength(1);
    } finally {
      client.close();
    }
  });

  it('close() ends a connection still in its TLS handshake, and fails the request waiting on it', async () => {
    const client = new KubeHttp(viaProxy(cluster.adminConfig(), proxy));
    // Held silent: the handshake cannot finish before the client is closed.
    proxy.mode = 'hold';
    try {
      const request = client.request({ method: 'GET', path: '/version' }).catch((err: unknown) => err);
      await waitFor('the connection to reach the proxy', async () => proxy.held === 1, 10_000);
      client.close();
      // Not the handshake timeout's error, 10 s later: close()'s own, at once.
      expect(String(await request)).toMatch(/the client was closed during the TLS handshake with https:/);
      await waitFor('the proxy to see the connection closed', async () => proxy.held === 0, 10_000);
    } finally {
      proxy.mode = 'forward';
      client.close();
    }
  });
});

describe('KubeHttp against stand-in servers', () => {
  let ca: KeyPairPem;
  let serving: KeyPairPem;
  beforeAll(async () => {
    const authority = await createCertificateAuthority('kube-h2-test');
    ca = authority;
    serving = await authority.issue({ subject: 'CN=127.0.0.1', usage: 'server', ipAddresses: ['127.0.0.1'] });
  });

  it('finishes a request in flight across a GOAWAY, and sends the next on a new connection', async () => {
    const sessions: http2.ServerHttp2Session[] = [];
    const arrived: string[] = [];
    const server = http2.createSecureServer({ cert: serving.certPem, key: serving.keyPem });
    server.on('session', (session) => sessions.push(session));
    server.on('stream', (stream, headers) => {
      const path = String(headers[':path']);
      arrived.push(path);
      const answer = () => {
        stream.respond({ ':status': 200, 'content-type': 'application/json' });
        stream.end(JSON.stringify({ path }));
      };
      if (path === '/slow') setTimeout(answer, 300);
      else answer();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = new KubeHttp(configFor(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca));
    try {
      expect(await client.request({ method: 'GET', path: '/first' })).toEqual({ path: '/first' });
      const slow = client.request({ method: 'GET', path: '/slow' });
      await waitFor('the slow request to arrive', async () => arrived.includes('/slow'), 5_000);
      // GOAWAY, then the connection closes once its streams are done.
      const [first] = sessions;
      first?.close();
      expect(await slow).toEqual({ path: '/slow' });
      await waitFor('the first connection to close', async () => first?.closed === true, 5_000);
      expect(await client.request({ method: 'GET', path: '/next' })).toEqual({ path: '/next' });
      expect(sessions).toHaveLength(2);
    } finally {
      client.close();
      server.close();
    }
  });

  it('sends a request refused unprocessed (REFUSED_STREAM, GOAWAY) again on a new connection', async () => {
    const sessions: http2.ServerHttp2Session[] = [];
    const arrived: string[] = [];
    const server = http2.createSecureServer({ cert: serving.certPem, key: serving.keyPem });
    server.on('session', (session) => sessions.push(session));
    server.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      arrived.push(`${sessions.indexOf(stream.session as http2.ServerHttp2Session)} ${headers[':path']}`);
      if (sessions.length === 1) {
        // Not processed: refused, and the connection told to go away.
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        stream.session?.close();
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.end('{"ok":true}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = new KubeHttp(configFor(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca));
    try {
      await expect(
        client.send({
          method: 'PATCH',
          path: '/p',
          body: { a: 1 },
          contentType: 'application/merge-patch+json',
        }),
      ).resolves.toBeUndefined();
      expect(arrived).toEqual(['0 /p', '1 /p']);
    } finally {
      client.close();
      server.close();
    }
  });

  it('speaks HTTP/1.1 to a server whose TLS does not offer h2', async () => {
    const versions: string[] = [];
    const server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      versions.push(req.httpVersion);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = new KubeHttp(configFor(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca));
    try {
      for (let i = 0; i < 3; i++)
        expect(await client.request({ method: 'GET', path: '/x' })).toEqual({ ok: true });
      expect(versions).toEqual(['1.1', '1.1', '1.1']);
    } finally {
      client.close();
      server.close();
    }
  });
});

function configFor(server: string, ca: KeyPairPem): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, caData: Buffer.from(ca.certPem).toString('base64') }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}
