// A stand-in for what oauth-proxy (--provider=openshift, providers/openshift/provider.go) asks of
// an OpenShift cluster and a plain kube-apiserver does not serve, in front of the tests' real
// kube-apiserver:
//   GET  /.well-known/oauth-authorization-server        OpenShift's OAuth discovery
//   GET  /oauth/authorize, POST /oauth/token            OpenShift's OAuth server (oauth-server.ts)
//   GET  /apis/user.openshift.io/v1/users/~             the token's user: a real SelfSubjectReview
//   POST /apis/authorization.openshift.io/v1/subjectaccessreviews
//                                                       a "may I" check: a real SelfSubjectAccessReview
// Everything else (the proxy's informer of openshift-config-managed ConfigMaps) passes through to
// the real apiserver with the caller's own credentials. It is a test's part, not OpenShift: no
// users, groups, scopes or OAuth clients of its own beyond the few fields oauth-proxy reads.
import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import { type Cluster, createCertificateAuthority } from '@guitars/testenv';
import { type Credentials, kubeCall, type RealApiserver } from './kube-call.js';
import { OAuthServer, type TestUser } from './oauth-server.js';

export interface OpenShiftStandIn {
  /** The address to give as KUBERNETES_SERVICE_HOST (its port is 443). */
  host: string;
  /** https://<host>: the "kube API" and OAuth server as the pod sees them. */
  url: string;
  /** The CA of its certificate: a pod's ca.crt. */
  caPem: string;
  /** Its own certificate (a browser is told to accept it: the authorize page is served here). */
  certPem: string;
  close(): Promise<void>;
}

/**
 * Starts the stand-in on port 443 of a loopback address of its own (127.x.y.z): oauth-proxy builds
 * its OpenShift URLs from KUBERNETES_SERVICE_HOST alone, always on 443 (getKubeAPIURLWithPath), so
 * the port cannot be a free one; a random address keeps parallel runs apart. Needs root (port 443).
 */
export async function startOpenShiftStandIn(
  cluster: Cluster,
  users: Record<string, TestUser>,
): Promise<OpenShiftStandIn> {
  const api: RealApiserver = { server: cluster.info.server, caPem: cluster.info.caPem };
  const admin = adminCredentials(cluster);
  // A name of its own: a leaf with its CA's subject looks self-signed to OpenSSL (Node.js), though
  // not to Go.
  const ca = await createCertificateAuthority('openshift-stand-in CA');
  for (let attempt = 0; ; attempt++) {
    const host = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    const tls = await ca.issue({
      subject: 'CN=kubernetes.default.svc',
      usage: 'server',
      ipAddresses: [host],
      dnsNames: ['kubernetes.default.svc'],
    });
    const url = `https://${host}`;
    const oauth = new OAuthServer(api, admin, users, url);
    const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
      handle(req, res, api, oauth).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`stand-in: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
    try {
      await listen(server, host);
    } catch (err) {
      if (attempt < 5 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw err;
    }
    return {
      host,
      url,
      caPem: ca.certPem,
      certPem: tls.certPem,
      close: () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }
}

function listen(server: Server, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(443, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The admin kubeconfig's client certificate: the stand-in's own rights (TokenRequest, TokenReview). */
function adminCredentials(cluster: Cluster): Credentials {
  const user = cluster.adminConfig().getCurrentUser();
  if (!user?.certData || !user.keyData) throw new Error('the admin kubeconfig has no client certificate');
  const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
  return { certPem: pem(user.certData), keyPem: pem(user.keyData) };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  api: RealApiserver,
  oauth: OAuthServer,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://stand-in');
  const path = url.pathname;
  if (path === '/.well-known/oauth-authorization-server' && req.method === 'GET')
    return json(res, 200, oauth.metadata());
  if (path === '/oauth/authorize') {
    const form = req.method === 'POST' ? new URLSearchParams(await body(req)) : url.searchParams;
    return oauth.authorize(req, res, form);
  }
  if (path === '/oauth/token' && req.method === 'POST')
    return oauth.token(res, new URLSearchParams(await body(req)));
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (path === '/apis/user.openshift.io/v1/users/~' && req.method === 'GET')
    return currentUser(res, api, token);
  if (path === '/apis/authorization.openshift.io/v1/subjectaccessreviews' && req.method === 'POST')
    return accessReview(res, api, token, await body(req));
  passThrough(req, res, api);
}

/** OpenShift's User for the token's user, from the real apiserver's SelfSubjectReview. */
async function currentUser(res: ServerResponse, api: RealApiserver, token: string | undefined) {
  if (!token) return json(res, 401, unauthorized());
  const review = await kubeCall(api, { token }, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
  });
  if (review.status !== 201 && review.status !== 200) return json(res, review.status, review.body);
  const info = (review.body as { status?: { userInfo?: { username?: string; groups?: string[] } } }).status
    ?.userInfo;
  json(res, 200, {
    kind: 'User',
    apiVersion: 'user.openshift.io/v1',
    metadata: { name: info?.username ?? '' },
    groups: info?.groups ?? [],
  });
}

/**
 * authorization.openshift.io's SubjectAccessReview with no user named asks about the caller: the
 * same question as the real apiserver's SelfSubjectAccessReview with the caller's token. One that
 * names a user or groups is refused (oauth-proxy sends none).
 */
async function accessReview(
  res: ServerResponse,
  api: RealApiserver,
  token: string | undefined,
  text: string,
) {
  if (!token) return json(res, 401, unauthorized());
  const sar = JSON.parse(text) as Record<string, unknown>;
  if (sar.user || (Array.isArray(sar.groups) && sar.groups.length > 0))
    return json(res, 400, { kind: 'Status', status: 'Failure', message: 'stand-in: self reviews only' });
  const review = await kubeCall(
    api,
    { token },
    'POST',
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: {
          namespace: sar.namespace,
          group: sar.resourceAPIGroup,
          resource: sar.resource,
          verb: sar.verb,
          name: sar.resourceName,
        },
      },
    },
  );
  if (review.status !== 201 && review.status !== 200) return json(res, review.status, review.body);
  const status = (review.body as { status?: { allowed?: boolean; reason?: string } }).status;
  json(res, 201, {
    kind: 'SubjectAccessReviewResponse',
    apiVersion: 'authorization.openshift.io/v1',
    namespace: sar.namespace ?? '',
    allowed: status?.allowed === true,
    reason: status?.reason ?? '',
  });
}

/** Any other call goes to the real apiserver as it came (method, path, headers, body, stream). */
function passThrough(req: IncomingMessage, res: ServerResponse, api: RealApiserver): void {
  const target = new URL(api.server);
  const forward = httpsRequest(
    {
      host: target.hostname,
      port: target.port,
      path: req.url,
      method: req.method,
      headers: { ...req.headers, host: target.host },
      ca: api.caPem,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      // At once: a watch's answer has no body until the first change, and a client counts the
      // watch as open from its headers (Node.js would hold them back until the first write).
      res.flushHeaders();
      answer.pipe(res);
    },
  );
  forward.on('error', () => res.destroy());
  res.on('close', () => forward.destroy());
  req.pipe(forward);
}

function unauthorized() {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 1_000_000) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
