import express from 'express';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';
import { serve } from './test-support/tiny-app.js';

describe('Metrics', () => {
  const metrics = createMetrics({ processMetrics: false });
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.use(metrics.middleware);
    app.get('/things/:id', (_req, res) => {
      res.send('ok');
    });
    metrics.track({ guitars: () => 42, synced: () => true, sseClients: () => 3 });
    url = await serve(app);
  });

  it('labels requests with the route pattern, not the URL (bounded cardinality)', async () => {
    await fetch(`${url}/things/1`);
    await fetch(`${url}/things/2`);
    await fetch(`${url}/random/${Math.random()}`);
    const body = await metrics.registry.metrics();
    expect(body).toContain('guitars_ui_http_requests_total{method="GET",route="/things/:id",status="200"} 2');
    expect(body).toContain('guitars_ui_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(body).toContain(
      'guitars_ui_http_request_duration_seconds_count{method="GET",route="/things/:id",status="200"} 2',
    );
  });

  it('reads its gauges when scraped', async () => {
    const body = await metrics.registry.metrics();
    expect(body).toContain('guitars_ui_cached_guitars 42');
    expect(body).toContain('guitars_ui_cache_synced 1');
    expect(body).toContain('guitars_ui_sse_clients 3');
  });

  it('keeps a registry of its own', () => {
    expect(createMetrics({ processMetrics: false }).registry).not.toBe(metrics.registry);
  });
});
