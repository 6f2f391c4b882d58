import { Cluster } from '@guitars/testenv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOGIN_FAILURE_LIMIT, LOGIN_WINDOW_MS } from '../http/login-throttle.js';
import { DEFAULT_MAX_PER_CLIENT } from '../http/sse.js';
import type { UiApp } from '../start.js';
import { openStream, type RawStream, send } from '../test-support/raw-http.js';
import { startRouter, type TestRouter } from '../test-support/router.js';
import {
  eventually,
  guitarNames,
  prepareCluster,
  startTestUi,
  uiServiceAccountConfig,
} from '../test-support/ui.js';

/**
 * Issue 11 §3, "limits cannot be dodged": clients that forge forwarding headers, guess
 * passwords, or hold live streams open, against the real UI and apiserver. Clients are told apart
 * by their address: each connects from an address of its own on 127/8.
 */

const cluster = new Cluster(inject('testenv'));

const ALICE = '127.0.0.1';
const BOB = '127.0.0.2';

/** Headers a client forges to look like someone else. */
const SPOOFS: Array<Record<string, string>> = [
  { 'x-forwarded-for': '203.0.113.1' },
  { 'x-forwarded-for': '203.0.113.2, 198.51.100.7' },
  { 'x-real-ip': '203.0.113.3' },
  { forwarded: 'for=203.0.113.4' },
  { 'x-forwarded-for': '10.0.0.9' },
];

const createBody = (name: string, namespace: string) => JSON.stringify({ name, brand: 'fender', namespace });

const create = (base: string, name: string, namespace: string, from: string, headers = {}) =>
  send(`${base}/api/guitars`, {
    from,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: createBody(name, namespace),
  });

describe('the write budget cannot be refreshed with forged forwarding headers', () => {
  let ns: string;
  const names = () => guitarNames(cluster.adminConfig(), ns);

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('limits-writes');
  });

  it('by default (TRUST_PROXY unset) trusts no forwarded header: each forged address is the same client', async () => {
    const ui = await startTestUi(await uiServiceAccountConfig(cluster), {
      env: { UI_WRITE_RATE_LIMIT: '2' },
    });
    try {
      expect((await create(ui.url, 'plain-1', ns, ALICE, SPOOFS[0])).status).toBe(201);
      expect((await create(ui.url, 'plain-2', ns, ALICE, SPOOFS[1])).status).toBe(201);
      for (const [i, spoof] of SPOOFS.entries()) {
        const refused = await create(ui.url, `plain-spoof-${i}`, ns, ALICE, spoof);
        expect(refused.status).toBe(429);
        expect(refused.headers['retry-after']).toBe('60');
      }
      expect(await names()).toEqual(['plain-1', 'plain-2']);
      // Another address is another client, with a budget of its own.
      expect((await create(ui.url, 'plain-bob', ns, BOB)).status).toBe(201);
    } finally {
      await ui.stop();
    }
  });

  describe('behind a router that appends the client address (an OpenShift Route, TRUST_PROXY=1)', () => {
    let ui: UiApp;
    let router: TestRouter;

    beforeAll(async () => {
      ui = await startTestUi(await uiServiceAccountConfig(cluster), {
        env: { UI_WRITE_RATE_LIMIT: '2', TRUST_PROXY: '1' },
      });
      router = await startRouter(ui.url);
    });

    afterAll(async () => {
      await router?.close();
      await ui?.stop();
    });

    it('counts each client by the address the router saw, whatever X-Forwarded-For it sent', async () => {
      const before = await names();
      expect((await create(router.url, 'routed-1', ns, ALICE, SPOOFS[0])).status).toBe(201);
      expect((await create(router.url, 'routed-2', ns, ALICE)).status).toBe(201);
      for (const [i, spoof] of SPOOFS.entries()) {
        expect((await create(router.url, `routed-spoof-${i}`, ns, ALICE, spoof)).status).toBe(429);
      }
      // Bob, behind the same router, is a client of his own.
      expect((await create(router.url, 'routed-bob', ns, BOB, SPOOFS[0])).status).toBe(201);
      expect(await names()).toEqual([...before, 'routed-1', 'routed-2', 'routed-bob'].sort());
    });
  });
});

describe('failed sign-ins are throttled per client', () => {
  const PASSWORD = 'correct horse battery staple';
  const TOKEN = 'script-token-0123456789';
  const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  let ui: UiApp;
  let ns: string;
  const names = () => guitarNames(cluster.adminConfig(), ns);
  const get = (from: string, authorization?: string, headers: Record<string, string> = {}) =>
    send(`${ui.url}/api/guitars?namespace=${ns}`, {
      from,
      headers: { accept: 'application/json', ...(authorization ? { authorization } : {}), ...headers },
    });

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('limits-login');
    ui = await startTestUi(await uiServiceAccountConfig(cluster), {
      env: { UI_AUTH_USERNAME: 'admin', UI_AUTH_PASSWORD: PASSWORD, UI_AUTH_TOKEN: TOKEN },
    });
  });

  afterAll(async () => {
    await ui?.stop();
  });

  it(`answers 429 with Retry-After after ${LOGIN_FAILURE_LIMIT} wrong passwords or tokens, the right ones included`, async () => {
    const guesser = '127.0.0.11';
    for (let i = 0; i < LOGIN_FAILURE_LIMIT; i++) {
      const guess = i % 2 === 0 ? basic(`guess-${i}`) : `Bearer guess-${i}`;
      // Forged addresses change nothing: the throttle sees the connection's.
      expect((await get(guesser, guess, SPOOFS[i % SPOOFS.length])).status).toBe(401);
    }
    const throttled = await get(guesser, basic('one more guess'));
    expect(throttled.status).toBe(429);
    const retryAfter = Number(throttled.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(LOGIN_WINDOW_MS / 1000);
    expect(JSON.parse(throttled.body)).toMatchObject({
      status: 429,
      message: expect.stringContaining('failed sign-ins'),
    });

    // Guessing right no longer tells: the right password and token get 429 too, and change nothing.
    expect((await get(guesser, basic(PASSWORD))).status).toBe(429);
    expect((await get(guesser, `Bearer ${TOKEN}`)).status).toBe(429);
    const write = await send(`${ui.url}/api/guitars`, {
      from: guesser,
      method: 'POST',
      headers: { authorization: basic(PASSWORD), 'content-type': 'application/json' },
      body: createBody('while-throttled', ns),
    });
    expect(write.status).toBe(429);
    expect(await names()).toEqual([]);

    // Everyone else signs in as usual; the probes stay open for the kubelet.
    expect((await get(BOB, basic(PASSWORD))).status).toBe(200);
    expect((await send(`${ui.url}/healthz`, { from: guesser })).status).toBe(200);
  });

  it('does not count successful sign-ins, nor requests that send no credentials', async () => {
    const user = '127.0.0.12';
    for (let i = 0; i < 3 * LOGIN_FAILURE_LIMIT; i++) {
      expect((await get(user, i % 2 ? basic(PASSWORD) : `Bearer ${TOKEN}`)).status).toBe(200);
      // A browser's first request has no credentials: answered with the challenge, not counted.
      expect((await get(user)).status).toBe(401);
    }
    const created = await send(`${ui.url}/api/guitars`, {
      from: user,
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: createBody('signed-in', ns),
    });
    expect(created.status).toBe(201);
    expect(await names()).toEqual(['signed-in']);
    // Its failures still count from zero: the limit is exactly LOGIN_FAILURE_LIMIT.
    for (let i = 0; i < LOGIN_FAILURE_LIMIT; i++) expect((await get(user, basic('typo'))).status).toBe(401);
    expect((await get(user, basic(PASSWORD))).status).toBe(429);
  });
});

describe('live streams are capped per client as well as in total', () => {
  let ui: UiApp;
  const streams: RawStream[] = [];
  const open = async (from: string, headers: Record<string, string> = {}) => {
    const stream = await openStream(`${ui.url}/events`, { from, headers });
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    await prepareCluster(cluster);
    ui = await startTestUi(await uiServiceAccountConfig(cluster));
  });

  afterAll(async () => {
    for (const stream of streams) stream.close();
    await ui?.stop();
  });

  it(`gives one client ${DEFAULT_MAX_PER_CLIENT} streams, 503 beyond, and still serves everyone else`, async () => {
    const greedy = '127.0.0.21';
    const mine = [];
    for (let i = 0; i < DEFAULT_MAX_PER_CLIENT; i++) mine.push(await open(greedy));
    expect(mine.map((s) => s.status)).toEqual(mine.map(() => 200));

    const excess = await open(greedy);
    expect(excess.status).toBe(503);
    expect(excess.headers['retry-after']).toBe('10');
    expect(excess.body).toContain('from your address');
    // A forged forwarding header does not make it someone else.
    expect((await open(greedy, SPOOFS[0])).status).toBe(503);

    // Others are not locked out.
    expect((await open('127.0.0.22')).status).toBe(200);
    expect((await open('127.0.0.23')).status).toBe(200);

    // A closed tab frees its place.
    mine[0]?.close();
    await eventually(
      'the closed stream to be let go',
      async () => (await open(greedy)).status === 200,
      10_000,
    );
  });
});
