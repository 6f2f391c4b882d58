import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type RequestListener, request } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface TestRouter {
  /** http(s)://127.0.0.1:port: where clients connect, as to the Route's host. */
  url: string;
  close(): Promise<void>;
}

/** A certificate for *.apps.example.test, for tests only (fixtures/README.md). */
export const TEST_TLS = {
  cert: readFileSync(new URL('fixtures/apps.example.test.crt', import.meta.url)),
  key: readFileSync(new URL('fixtures/apps.example.test.key', import.meta.url)),
};

/**
 * A real HAProxy set up as OpenShift's router serves the overlay's reencrypt Route stands in front
 * of the real oauth-proxy in packages/deploy-tests (src/openshift/router.ts, front-door.cluster.test.ts).
 * This one stays for the UI package's tests: they put it straight in front of the UI (no proxy, so
 * no reencrypt), mostly over plain HTTP on a free port, many times per file, on machines without
 * haproxy; what they check is what the UI does with the forwarded headers, which this sets as the
 * router does (X-Forwarded-For appended, -Host and -Proto set).
 *
 * A stand-in for the OpenShift router in front of the UI, as an edge-TLS Route with the default
 * forwarded-header policy (append): the client's own X-Forwarded-For is kept and the address the
 * router sees is appended; X-Forwarded-Host and X-Forwarded-Proto (https: TLS ended at the router)
 * are set. Bodies and event streams pass through unbuffered. It speaks plain HTTP to its clients
 * unless given `tls` (for browsers; what most tests check is what the UI does with the headers).
 */
export async function startRouter(target: string, tls?: typeof TEST_TLS): Promise<TestRouter> {
  const upstream = new URL(target);
  const handle: RequestListener = (req, res) => {
    const headers: IncomingHttpHeaders = { ...req.headers };
    const peer = req.socket.remoteAddress ?? '';
    const sent = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = sent ? `${sent}, ${peer}` : peer;
    headers['x-forwarded-host'] = req.headers.host;
    headers['x-forwarded-proto'] = 'https';
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers,
        agent: false,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  };
  const server = tls ? createTlsServer(tls, handle) : createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
