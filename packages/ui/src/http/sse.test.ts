import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuitarStore } from '../cache/guitar-store.js';
import { openStream } from '../test-support/event-stream.js';
import { FakeCache, guitar } from '../test-support/fake-cache.js';
import { serve } from '../test-support/tiny-app.js';
import { eventually } from '../test-support/ui.js';
import { SseHub, type SseOptions } from './sse.js';

/**
 * A hub over a synced fake cache, served on loopback for the describe block that calls it (`url`
 * is set once its beforeAll ran), and closed after it.
 */
function servedHub(options: SseOptions, trustProxy?: string) {
  const source = new FakeCache();
  const store = new GuitarStore();
  store.attach(source, { clusterWide: true });
  source.setSynced(true);
  const hub = new SseHub(store, options);
  const served = { source, hub, url: '' };
  beforeAll(async () => {
    const app = express();
    if (trustProxy) app.set('trust proxy', trustProxy);
    app.get('/events', hub.handler);
    served.url = await serve(app);
  });
  afterAll(() => hub.close());
  return served;
}

describe('SseHub', () => {
  const served = servedHub({ heartbeatMs: 50, maxClients: 2 });
  const { hub, source } = served;

  it('sends heartbeats so routers keep idle streams open, and counts its clients', async () => {
    const stream = await openStream(`${served.url}/events`);
    await stream.next(/^: ping$/, 1_000);
    expect(hub.size).toBe(1);
    await stream.close();
  });

  it('turns browsers away with 503 past its limit', async () => {
    const a = await openStream(`${served.url}/events`);
    const b = await openStream(`${served.url}/events`);
    const refused = await fetch(`${served.url}/events`);
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
  // Clients told apart by X-Forwarded-For, from a proxy on this host.
  const served = servedHub({ maxClients: 5, maxPerClient: 2 }, 'loopback');
  const { hub } = served;

  const open = (client: string) =>
    fetch(`${served.url}/events`, { headers: { accept: 'text/event-stream', 'x-forwarded-for': client } });

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
  const served = servedHub({ typeOnly: true });
  const { hub, source } = served;

  it('says what kind of change happened, not to which guitar', async () => {
    const stream = await openStream(`${served.url}/events`);
    await eventually('the stream to be counted', () => hub.size === 1);
    source.put(guitar('hidden-ns', 'hidden-guitar', { brand: 'gibson' }));
    const event = await stream.next(/^event: change/);
    expect(event).toBe('event: change\ndata: {"type":"upsert"}');
    await stream.close();
  });
});

describe('SseHub, audience (UI_AUTH=proxy)', () => {
  // Each stream's user, from a header here (the proxy's user in app.ts), may hear of "mine".
  const served = servedHub({
    typeOnly: true,
    audience: (req) => async (namespace) => namespace === 'mine' && req.headers['x-user'] === 'me',
  });
  const { hub, source } = served;

  it('sends a change only to streams whose audience check allows its namespace', async () => {
    const response = await fetch(`${served.url}/events`, {
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
