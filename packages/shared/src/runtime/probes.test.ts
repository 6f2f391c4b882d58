import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type ProbesDeps, probesHandler } from './probes.js';

describe('probesHandler', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  const serve = async (deps: ProbesDeps) => {
    server = createServer(probesHandler(deps));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return (path: string, method = 'GET') => fetch(`http://127.0.0.1:${port}${path}`, { method });
  };

  it('is live at once, and ready only when ready() says so, with the reasons it knows', async () => {
    let ready = false;
    let problems: string[] = [];
    const get = await serve({ ready: () => ready, problems: () => problems, registry: new Registry() });
    const healthz = await get('/healthz');
    expect(healthz.headers.get('content-length')).toBe('3');
    expect(await healthz.text()).toBe('ok\n');
    expect((await get('/livez')).status).toBe(200);
    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('guitar cache not synced\n');
    problems = ['forbidden: a', 'forbidden: b'];
    expect(await (await get('/readyz')).text()).toBe('forbidden: a\nforbidden: b\n');
    ready = true;
    const ok = await get('/readyz');
    expect([ok.status, await ok.text()]).toEqual([200, 'ok\n']);
  });

  it('serves the registry it is given, in Prometheus text format', async () => {
    const registry = new Registry();
    new Counter({ name: 'probe_test_total', help: 'a test counter', registers: [registry] }).inc(2);
    const get = await serve({ ready: () => true, registry });
    const res = await get('/metrics?x=1');
    expect(res.headers.get('content-type')).toBe(registry.contentType);
    expect(await res.text()).toContain('probe_test_total 2');
  });

  it('answers 404 elsewhere and 405 to writes', async () => {
    const get = await serve({ ready: () => true, registry: new Registry() });
    expect((await get('/')).status).toBe(404);
    const post = await get('/readyz', 'POST');
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });
});
