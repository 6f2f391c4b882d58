import { Writable } from 'node:stream';
import { Cluster } from '@guitars/testenv';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from './config.js';
import { startUiApp, type UiApp } from './start.js';
import { prepareCluster, startTestUi, TestClient } from './test-support/ui.js';

const cluster = new Cluster(inject('testenv'));

describe('the server', () => {
  let ui: UiApp;
  let client: TestClient;

  beforeAll(async () => {
    await prepareCluster(cluster);
    ui = await startTestUi(cluster.adminConfig());
    client = new TestClient(ui.url);
  });

  afterAll(async () => {
    await ui?.stop();
  });

  it('sends security headers with a strict Content-Security-Policy', async () => {
    const { response } = await client.get('/');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp.split(';')).toEqual(
      expect.arrayContaining([
        "default-src 'self'",
        "script-src 'self'",
        "script-src-attr 'none'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "form-action 'self'",
      ]),
    );
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    // Referrers go to the UI only, never to other sites; its own forms then carry their Origin.
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it.each(['/', '/guitars/new', '/no-such-page'])('has no inline script or style on %s', async (path) => {
    const { text } = await client.get(path);
    expect(text).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(text).not.toMatch(/<style/i);
    // Attributes of real tags only: other tests' guitars may hold escaped payloads as text.
    const tags = text.match(/<[a-z][^>]*>/gi) ?? [];
    expect(tags.filter((tag) => /\sstyle=|\son[a-z]+=/i.test(tag))).toEqual([]);
  });

  it('sets the CSRF cookie HttpOnly and SameSite', async () => {
    const { response } = await new TestClient(ui.url).get('/guitars/new');
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('gc_csrf=')) ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
  });

  it('serves its static files with a cache lifetime', async () => {
    const css = await client.request('/static/app.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect(css.headers.get('cache-control')).toContain('max-age=86400');
    const js = await client.request('/static/live.js');
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await client.request('/static/nothing.js')).status).toBe(404);
  });

  it('answers /healthz and /readyz once synced', async () => {
    expect((await client.get('/healthz')).text).toBe('ok\n');
    expect((await client.get('/readyz')).status).toBe(200);
  });

  it('exposes request counts and latency by route on /metrics', async () => {
    await client.json('GET', '/api/guitars');
    await client.json('GET', '/api/guitars/default/nope');
    const { text, response } = await client.get('/metrics');
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(text).toMatch(
      /guitars_ui_http_requests_total\{method="GET",route="\/api\/guitars",status="200"\} \d+/,
    );
    expect(text).toMatch(
      /guitars_ui_http_requests_total\{method="GET",route="\/api\/guitars\/:namespace\/:name",status="404"\} \d+/,
    );
    expect(text).toMatch(
      /guitars_ui_http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/api\/guitars"/,
    );
    expect(text).toContain('guitars_ui_cache_synced 1');
    expect(text).toMatch(/guitars_ui_cached_guitars \d+/);
    expect(text).toContain('guitars_ui_process_resident_memory_bytes');
  });

  it('answers HTML to browsers and JSON to API clients for errors, never with a stack trace', async () => {
    const page = await client.get('/api-nope');
    expect(page.status).toBe(404);
    expect(page.text).toContain('<!doctype html>');
    const json = await client.json('GET', '/api/guitars?page=x');
    expect(json.status).toBe(400);
    const text = await json.text();
    expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it('closes gracefully: not ready, live streams ended, the port freed', async () => {
    const other = await startTestUi(cluster.adminConfig(), { env: { UI_SHUTDOWN_TIMEOUT: '5s' } });
    const events = await fetch(`${other.url}/events`);
    expect(events.status).toBe(200);
    const reader = events.body?.getReader();
    await other.stop();
    // The stream ends instead of hanging.
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
    }
    await expect(fetch(`${other.url}/healthz`)).rejects.toThrow();
  });
});

describe('the write rate limit', () => {
  const start = (env: Record<string, string>) =>
    startTestUi(cluster.adminConfig(), { env: { UI_WRITE_RATE_LIMIT: '2', ...env } });
  const write = (ui: UiApp, client: string) =>
    fetch(`${ui.url}/api/guitars`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      // Invalid on purpose: the limit counts attempts, and nothing is created.
      body: JSON.stringify({ name: 'Not Valid!', brand: 'fender' }),
    });

  beforeAll(async () => {
    await prepareCluster(cluster);
  });

  it('answers 429 past the limit, per client as a trusted router reports it in X-Forwarded-For', async () => {
    const ui = await start({ TRUST_PROXY: 'loopback' });
    try {
      expect((await write(ui, '203.0.113.1')).status).toBe(422);
      expect((await write(ui, '203.0.113.1')).status).toBe(422);
      const limited = await write(ui, '203.0.113.1');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('60');
      expect(((await limited.json()) as { message: string }).message).toContain('Too many changes');
      // Another client behind the same router has its own budget.
      expect((await write(ui, '203.0.113.2')).status).toBe(422);
      // Reads are not limited.
      expect(
        (await fetch(`${ui.url}/api/guitars`, { headers: { 'x-forwarded-for': '203.0.113.1' } })).status,
      ).toBe(200);
    } finally {
      await ui.stop();
    }
  });

  it('ignores X-Forwarded-For by default (TRUST_PROXY unset)', async () => {
    const ui = await start({});
    try {
      expect((await write(ui, '203.0.113.1')).status).toBe(422);
      expect((await write(ui, '203.0.113.2')).status).toBe(422);
      // Same peer (127.0.0.1): a forged header does not buy a fresh budget.
      expect((await write(ui, '203.0.113.3')).status).toBe(429);
    } finally {
      await ui.stop();
    }
  });
});

describe('logs', () => {
  it('writes one JSON event per request, without credentials', async () => {
    await prepareCluster(cluster);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const ui = await startUiApp({
      kc: cluster.adminConfig(),
      config: loadConfig({ PORT: '0' }),
      logger: pino({ level: 'info' }, sink),
      host: '127.0.0.1',
    });
    try {
      await ui.store.waitUntil(() => ui.store.synced(), 30_000);
      await fetch(`${ui.url}/api/guitars`, {
        headers: { authorization: 'Bearer secret-token', cookie: 'gc_csrf=secret' },
      });
      await fetch(`${ui.url}/healthz`);
      const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const request = events.find((e) => (e.req as { url?: string } | undefined)?.url === '/api/guitars');
      expect(request).toMatchObject({ msg: 'request completed', res: { statusCode: 200 } });
      expect(JSON.stringify(events)).not.toContain('secret');
      // Probes are not logged: they would drown everything else.
      expect(events.some((e) => (e.req as { url?: string } | undefined)?.url === '/healthz')).toBe(false);
    } finally {
      await ui.stop();
    }
  });
});
