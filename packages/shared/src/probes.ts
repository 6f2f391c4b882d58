import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface ProbesDeps {
  /** True while the app can do its job (its guitar cache is in sync, it is not shutting down). */
  ready(): boolean;
  /** Why it is not ready, when known (the apiserver refused a call): the body of the 503. */
  problems?(): string[];
  registry: Registry;
}

/** The 503 body when nothing more is known. */
export const NOT_SYNCED = 'guitar cache not synced';

/**
 * /healthz and /livez (the process answers: liveness), /readyz (readiness, with the reasons when
 * not ready) and /metrics (Prometheus text format), as controller-runtime serves them; a plain
 * node:http handler, so the controller's probe server and the UI's Express app share it.
 */
export function probesHandler(deps: ProbesDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = deps.ready();
      const problems = ready ? [] : (deps.problems?.() ?? []);
      const why = problems.length > 0 ? problems.join('\n') : NOT_SYNCED;
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
  };
}
