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
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
    } else if (path === '/healthz' || path === '/livez') {
      send(res, 200, 'ok\n');
    } else if (path === '/readyz') {
      const ready = deps.ready();
      const problems = ready ? [] : (deps.problems?.() ?? []);
      const why = problems.length > 0 ? problems.join('\n') : NOT_SYNCED;
      send(res, ready ? 200 : 503, ready ? 'ok\n' : `${why}\n`);
    } else if (path === '/metrics') {
      deps.registry.metrics().then(
        (text) => send(res, 200, text, deps.registry.contentType),
        (err: unknown) => send(res, 500, `${String(err)}\n`),
      );
    } else {
      send(res, 404, 'not found: try /healthz, /readyz or /metrics\n');
    }
  };
}

/** With its length, not chunked: a probe or a raw client reads one plain body. */
function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
}
