import type { Request, RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The UI's Prometheus metrics, in a Registry of its own (not prom-client's global one), so two
 * apps in one process, or two tests, never share counters.
 */
export function createMetrics(options: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'guitars_ui_' });
  const registers = [registry];
  const requests = new Counter({
    name: 'guitars_ui_http_requests_total',
    help: 'HTTP requests answered, by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'guitars_ui_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });

  /** Counts and times every request, labelled by its route pattern (never the raw URL: unbounded). */
  const middleware: RequestHandler = (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const labels = { method: req.method, route: routeOf(req), status: String(res.statusCode) };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };

  /** Gauges read when Prometheus scrapes, from whatever holds the numbers. */
  const track = (sources: { guitars: () => number; synced: () => boolean; sseClients: () => number }) => {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('guitars_ui_cached_guitars', 'Guitars in the UI cache', sources.guitars);
    gauge('guitars_ui_cache_synced', '1 when the guitar cache is in sync with the cluster, else 0', () =>
      sources.synced() ? 1 : 0,
    );
    gauge('guitars_ui_sse_clients', 'Browsers following live updates', sources.sseClients);
  };

  return { registry, requests, duration, middleware, track };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * The route pattern a request matched. Express keeps req.route after the handler ran; routers are
 * mounted at '/' with full paths, so the pattern is the whole path.
 */
function routeOf(req: Request): string {
  const path: unknown = req.route?.path;
  if (typeof path === 'string') return path;
  if (req.path.startsWith('/static/')) return '/static';
  return 'unmatched';
}
