import { createHash, randomInt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@guitars/testenv';
import type { KubeObject } from '../kube.js';
import { startChild } from './child.js';

/** OpenShift's router defaults (ROUTER_DEFAULT_CLIENT_TIMEOUT, _SERVER_TIMEOUT, _TUNNEL_TIMEOUT...). */
export const ROUTER_TIMEOUTS = {
  connect: '5s',
  client: '30s',
  server: '30s',
  'http-request': '10s',
  'http-keep-alive': '300s',
  tunnel: '1h',
} as const;

interface RouteSpec {
  host?: string;
  to: { kind: string; name: string };
  port?: { targetPort: string };
  tls?: { termination: string; insecureEdgeTerminationPolicy?: string };
}

export interface Router {
  /** The loopback address it listens on, ports 443 and 80, as a router's node would. */
  address: string;
  /** The sticky-session cookie it sets, named as OpenShift's router names it. */
  cookieName: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real HAProxy (Debian's) configured as OpenShift's router serves one Route: TLS ended with the
 * router's certificate, and for `reencrypt` a new TLS connection to the Service's pod that must
 * present a certificate of the service CA for <service>.<namespace>.svc; plain HTTP redirected
 * when insecureEdgeTerminationPolicy says so; the forwarded headers of the default policy (Append);
 * the router's default timeouts; a sticky cookie. What OpenShift's template does and this does not:
 * one Route only, no HTTP/2, no stats, no reloads. Listens on a random 127.x.y.z (ports 443, 80:
 * the URLs a browser is sent to carry no port), so it needs root.
 */
export async function startRouter(options: {
  route: KubeObject;
  /** The router's certificate and key (the cluster's *.apps certificate). */
  certPem: string;
  keyPem: string;
  /** The pod's address for the Route's target port, and the service CA that signed its certificate. */
  endpoint: string;
  serviceCaPem: string;
}): Promise<Router> {
  const spec = options.route.spec as RouteSpec;
  const namespace = options.route.metadata.namespace ?? '';
  const name = options.route.metadata.name;
  if (!spec.host) throw new Error(`Route ${name} has no host: give it one, as OpenShift would`);
  if (spec.tls?.termination !== 'reencrypt')
    throw new Error(`Route ${name}: only reencrypt is served here, not ${spec.tls?.termination}`);
  const work = mkdtempSync(join(tmpdir(), 'guitars-router-'));
  writeFileSync(join(work, 'router.pem'), `${options.certPem.trim()}\n${options.keyPem.trim()}\n`, {
    mode: 0o600,
  });
  writeFileSync(join(work, 'service-ca.crt'), options.serviceCaPem);
  const address = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  const backend = `be_secure:${namespace}:${name}`;
  // OpenShift names the cookie after a hash of the backend, unless the Route's annotation names it.
  const cookieName =
    options.route.metadata.annotations?.['router.openshift.io/cookie_name'] ??
    createHash('md5').update(backend).digest('hex');
  const serverCookie = createHash('md5').update(options.endpoint).digest('hex');
  const serviceName = `${spec.to.name}.${namespace}.svc`;
  const redirect = spec.tls.insecureEdgeTerminationPolicy === 'Redirect';
  const config = [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode http',
    ...Object.entries(ROUTER_TIMEOUTS).map(([what, value]) => `  timeout ${what} ${value}`),
    '  option forwardfor',
    'frontend public',
    `  bind ${address}:80`,
    redirect ? '  http-request redirect scheme https' : `  use_backend ${backend}`,
    'frontend public_ssl',
    `  bind ${address}:443 ssl crt ${join(work, 'router.pem')} alpn http/1.1`,
    '  http-request set-header X-Forwarded-Host %[req.hdr(host)]',
    '  http-request set-header X-Forwarded-Port %[dst_port]',
    '  http-request set-header X-Forwarded-Proto https',
    '  http-request set-header Forwarded for=%[src];host=%[req.hdr(host)];proto=https',
    `  use_backend ${backend} if { req.hdr(host),field(1,:) -i ${spec.host} }`,
    `backend ${backend}`,
    '  balance leastconn',
    `  cookie ${cookieName} insert indirect nocache httponly secure attr SameSite=None`,
    `  server pod ${options.endpoint} cookie ${serverCookie} ssl verify required verifyhost ${serviceName} ca-file ${join(work, 'service-ca.crt')}`,
    '',
  ].join('\n');
  writeFileSync(join(work, 'haproxy.cfg'), config);
  // setpriv --pdeathsig: killed with this process even when it gets no chance to stop it.
  const child = startChild(
    ['setpriv', '--pdeathsig', 'KILL', 'haproxy', '-db', '-f', join(work, 'haproxy.cfg')],
    {
      keep: 100_000,
      graceMs: 10_000,
      cleanUp: work,
    },
  );
  const stop = () => child.stop();
  try {
    await waitFor(
      'HAProxy listens',
      () => listening(address, 443),
      20_000,
      () => child.hasExited(),
    );
  } catch (err) {
    await stop();
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}\n--- haproxy ---\n${child.output()}`,
    );
  }
  return { address, cookieName, output: child.output, stop };
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
