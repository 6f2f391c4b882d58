import { Cluster } from '@guitars/testenv';
import express from 'express';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { UiApp } from '../app.js';
import { GuitarStore } from '../cache/guitar-store.js';
import { FakeCache, guitar } from '../test-support/fake-cache.js';
import { serve } from '../test-support/tiny-app.js';
import { createGuitar, deleteGuitar, eventually, prepareCluster, startTestUi } from '../test-support/ui.js';
import { SseHub } from './sse.js';

const cluster = new Cluster(inject('testenv'));

/** Reads an event stream; next(match) resolves with the first event whose text matches. */
async function openStream(url: string) {
  const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    response,
    async next(match: RegExp, timeoutMs = 2_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const events = buffer.split('\n\n');
        buffer = events.pop() ?? '';
        const found = events.find((e) => match.test(e));
        if (found) return found;
        const remaining = deadline - Date.now();
        if (remaining <= 0 || !reader) throw new Error(`no event matching ${match} within ${timeoutMs} ms`);
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error(`no event matching ${match}`)), remaining),
          ),
        ]);
        if (chunk.done) throw new Error('the stream ended');
        buffer += chunk.value;
      }
    },
    close: () => reader?.cancel(),
  };
}

describe('live updates from the cluster', () => {
  let ui: UiApp;
  let ns: string;

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('sse');
    ui = await startTestUi(cluster.adminConfig());
  });

  afterAll(async () => {
    await ui?.stop();
  });

  it('pushes a change event within a second of a create, an update and a delete', async () => {
    const stream = await openStream(`${ui.url}/events`);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers.get('cache-control')).toBe('no-cache, no-transform');
    await stream.next(/^retry: \d+/);
    await createGuitar(cluster.adminConfig(), ns, 'live', { brand: 'fender' });
    const added = await stream.next(/"name":"live"/, 1_000);
    expect(added).toBe(`event: change\ndata: {"type":"upsert","namespace":"${ns}","name":"live"}`);

    await cluster.kubectlOk([
      'patch',
      'guitar',
      'live',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"review":true}}',
    ]);
    await stream.next(/"type":"upsert".*"name":"live"/, 1_000);

    await deleteGuitar(cluster.adminConfig(), ns, 'live');
    expect(await stream.next(/"type":"delete"/, 1_000)).toContain(`"namespace":"${ns}","name":"live"`);
    await stream.close();
  });
});

describe('SseHub', () => {
  const source = new FakeCache();
  const store = new GuitarStore();
  store.attach(source, { clusterWide: true });
  source.setSynced(true);
  const hub = new SseHub(store, { heartbeatMs: 50, maxClients: 2 });
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.get('/events', hub.handler);
    url = await serve(app);
  });

  afterAll(() => hub.close());

  it('sends heartbeats so routers keep idle streams open, and counts its clients', async () => {
    const stream = await openStream(`${url}/events`);
    await stream.next(/^: ping$/, 1_000);
    expect(hub.size).toBe(1);
    await stream.close();
  });

  it('turns browsers away with 503 past its limit', async () => {
    const a = await openStream(`${url}/events`);
    const b = await openStream(`${url}/events`);
    const refused = await fetch(`${url}/events`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(await refused.text()).toBe('Too many live connections; retry later.\n');
    source.put(guitar('a', 'one', { brand: 'b' }));
    await a.next(/"name":"one"/);
    await b.next(/"name":"one"/);
    await a.close();
    await b.close();
  });
});

describe('SseHub, per client', () => {
  const store = new GuitarStore();
  store.attach(new FakeCache(), { clusterWide: true });
  const hub = new SseHub(store, { maxClients: 5, maxPerClient: 2 });
  let url: string;

  beforeAll(async () => {
    const app = express();
    // Clients told apart by X-Forwarded-For, from a proxy on this host.
    app.set('trust proxy', 'loopback');
    app.get('/events', hub.handler);
    url = await serve(app);
  });

  afterAll(() => hub.close());

  const open = (client: string) =>
    fetch(`${url}/events`, { headers: { accept: 'text/event-stream', 'x-forwarded-for': client } });

  it("refuses a client's streams past its own limit, and only that client's", async () => {
    const a1 = await open('203.0.113.1');
    const a2 = await open('203.0.113.1');
    const a3 = await open('203.0.113.1');
    expect([a1.status, a2.status, a3.status]).toEqual([200, 200, 503]);
    expect(await a3.text()).toBe('Too many live connections from your address; retry later.\n');
    const b = await open('203.0.113.2');
    expect(b.status).toBe(200);
    expect(hub.size).toBe(3);

    await a1.body?.cancel();
    await eventually('the closed stream to leave', () => hub.size === 2);
    const again = await open('203.0.113.1');
    expect(again.status).toBe(200);
    for (const r of [a2, b, again]) await r.body?.cancel();
    await eventually('every stream to leave', () => hub.size === 0);
  });

  it('still applies the total across clients', async () => {
    const open5 = await Promise.all(['1', '2', '3', '4', '5'].map((n) => open(`198.51.100.${n}`)));
    expect(open5.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await open('198.51.100.6')).status).toBe(503);
    for (const r of open5) await r.body?.cancel();
  });
});

describe('SseHub, typeOnly (UI_AUTH=proxy)', () => {
  const source = new FakeCache();
  const store = new GuitarStore();
  store.attach(source, { clusterWide: true });
  source.setSynced(true);
  const hub = new SseHub(store, { typeOnly: true });
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.get('/events', hub.handler);
    url = await serve(app);
  });

  afterAll(() => hub.close());

  it('says what kind of change happened, not to which guitar', async () => {
    const stream = await openStream(`${url}/events`);
    await eventually('the stream to be counted', () => hub.size === 1);
    source.put(guitar('hidden-ns', 'hidden-guitar', { brand: 'gibson' }));
    const event = await stream.next(/^event: change/);
    expect(event).toBe('event: change\ndata: {"type":"upsert"}');
    await stream.close();
  });
});

describe('SseHub, audience (UI_AUTH=proxy)', () => {
  const source = new FakeCache();
  const store = new GuitarStore();
  store.attach(source, { clusterWide: true });
  source.setSynced(true);
  // Each stream's user, from a header here (the proxy's user in server.ts), may hear of "mine".
  const hub = new SseHub(store, {
    typeOnly: true,
    audience: (req) => async (namespace) => namespace === 'mine' && req.headers['x-user'] === 'me',
  });
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.get('/events', hub.handler);
    url = await serve(app);
  });

  afterAll(() => hub.close());

  it('sends a change only to streams whose audience check allows its namespace', async () => {
    const response = await fetch(`${url}/events`, {
      headers: { accept: 'text/event-stream', 'x-user': 'me' },
    });
    const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
    await eventually('the stream to be counted', () => hub.size === 1);
    source.put(guitar('mine', 'strat', { brand: 'fender' }));
    source.put(guitar('theirs', 'secret', { brand: 'gibson' }));
    source.delete(guitar('mine', 'strat', { brand: 'fender' }));
    let text = '';
    while (!text.includes('"type":"delete"')) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      text += chunk.value;
    }
    await reader?.cancel();
    // Mine's upsert and delete, and between them nothing: theirs was not sent.
    expect(text.match(/data: .*/g)).toEqual(['data: {"type":"upsert"}', 'data: {"type":"delete"}']);
  });
});
