import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';
import { close, createProbesServer, listen } from './probes.js';

describe('the probes server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server) await close(server);
  });

  const start = async (ready: () => boolean) => {
    const metrics = createMetrics('guitars', 'guitar');
    server = createProbesServer({ ready, registry: metrics.registry });
    const port = await listen(server, '127.0.0.1', 0);
    return {
      metrics,
      port,
      get: (path: string, method = 'GET') => fetch(`http://127.0.0.1:${port}${path}`, { method }),
    };
  };

  it('is live at once, and ready only while the cache is synced', async () => {
    let synced = false;
    const { get } = await start(() => synced);
    expect((await get('/healthz')).status).toBe(200);
    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('guitar cache not synced\n');
    synced = true;
    expect((await get('/readyz')).status).toBe(200);
  });

  it('answers a 503 with the reasons it knows, one a line', async () => {
    let problems: string[] = [];
    const metrics = createMetrics('guitars', 'guitar');
    server = createProbesServer({
      ready: () => problems.length === 0,
      problems: () => problems,
      registry: metrics.registry,
    });
    const port = await listen(server, '127.0.0.1', 0);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    problems = ['forbidden: a', 'forbidden: b'];
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('forbidden: a\nforbidden: b\n');
  });

  it('serves the metrics of its own registry in Prometheus text format', async () => {
    const { get, metrics } = await start(() => true);
    metrics.skipped.inc({ reason: 'invalid' }, 3);
    const res = await get('/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('guitars_skipped_total{reason="invalid"} 3');
    for (const name of [
      'guitars_reconcile_errors_total',
      'guitars_reconcile_duration_seconds',
      'guitars_workqueue_depth',
      'guitars_watch_restarts_total',
      'guitars_relists_total',
      'guitars_leader',
      'guitars_cache_synced',
      'guitars_events_total',
      'process_cpu_seconds_total',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });

  it('answers 404 elsewhere and 405 to writes', async () => {
    const { get } = await start(() => true);
    expect((await get('/')).status).toBe(404);
    expect((await get('/metrics', 'POST')).status).toBe(405);
  });

  it('refuses a port already in use with an error, not a crash', async () => {
    const { port } = await start(() => true);
    const other = createProbesServer({
      ready: () => true,
      registry: createMetrics('guitars', 'guitar').registry,
    });
    await expect(listen(other, '127.0.0.1', port)).rejects.toThrow(/EADDRINUSE/);
  });

  it("listens on every address for host '' (':8081'), IPv4 and, where there is one, IPv6", async () => {
    server = createProbesServer({ ready: () => true, registry: createMetrics('guitars', 'guitar').registry });
    const port = await listen(server, '', 0);
    const { address } = server.address() as AddressInfo;
    expect(['::', '0.0.0.0']).toContain(address);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    if (address === '::') expect((await fetch(`http://[::1]:${port}/healthz`)).status).toBe(200);
  });
});
