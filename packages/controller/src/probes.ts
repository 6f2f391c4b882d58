import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ProbesServerDeps {
  /** True while the controller can do its job: the guitar cache is in sync. */
  ready(): boolean;
  /** Why it is not ready, when known (the apiserver refused a call): the body of a 503. */
  problems?(): string[];
  registry: Registry;
}

/**
 * /healthz (the process serves requests: liveness), /readyz (the cache has synced: readiness) and
 * /metrics (Prometheus text format), as controller-runtime serves them on its probe port.
 */
export function createProbesServer(deps: ProbesServerDeps): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = deps.ready();
      const problems = ready ? [] : (deps.problems?.() ?? []);
      const why = problems.length > 0 ? problems.join('\n') : 'guitar cache not synced';
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok\n' : `${why}\n`);
    } else if (path === '/metrics') {
      deps.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': deps.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
      );
    } else {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('not found: try /healthz, /readyz or /metrics\n');
    }
  });
}

/** Listens and resolves with the port actually bound (the one asked for, or a free one for 0). */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
