// Issue 23, DNS rebinding: an attacker's name, rebound to 127.0.0.1, makes the attacker's page the
// same origin as the UI in the victim's browser. The page then sends the attacker's name in Host
// and in Origin, so the Origin check passes; only the name itself can be refused. The UI runs as
// `npm run ui` runs it (the admin's kubeconfig, no sign-in), and the cluster is read back from the
// apiserver after each attempt.
import { Cluster } from '@guitars/testenv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { UiApp } from '../start.js';
import { csrfPair, openStream, type RawResponse, rawRequest } from '../test-support/raw-http.js';
import { startRouter, type TestRouter } from '../test-support/router.js';
import { createGuitar, guitarNames, prepareCluster, startTestUi } from '../test-support/ui.js';

const cluster = new Cluster(inject('testenv'));
const REBOUND = 'rebind.attacker.example';

describe('a UI on loopback answers loopback names and addresses only (DNS rebinding)', () => {
  let ui: UiApp;
  let ns: string;
  let port: string;
  const names = () => guitarNames(cluster.adminConfig(), ns);
  /** What the attacker's page sends: its own name in Host and in Origin, as a browser does. */
  const rebound = (host = `${REBOUND}:${port}`) => ({ host, origin: `http://${host}` });

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('rebind');
    await createGuitar(cluster.adminConfig(), ns, 'strat', { brand: 'fender' });
    ui = await startTestUi(cluster.adminConfig());
    await ui.store.waitUntil(() => ui.store.get(ns, 'strat') !== undefined, 10_000);
    port = new URL(ui.url).port;
  });

  afterAll(async () => {
    await ui?.stop();
  });

  const attempts: Array<{ what: string; send: () => Promise<RawResponse> }> = [
    {
      what: 'POST /api/guitars',
      send: () =>
        rawRequest(ui.url, '/api/guitars', {
          method: 'POST',
          headers: { ...rebound(), 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' },
          body: JSON.stringify({ name: 'planted', brand: 'evil', namespace: ns }),
        }),
    },
    {
      what: 'DELETE /api/guitars/:namespace/:name',
      send: () =>
        rawRequest(ui.url, `/api/guitars/${ns}/strat`, {
          method: 'DELETE',
          headers: { ...rebound(), 'sec-fetch-site': 'same-origin' },
        }),
    },
    {
      what: 'the delete form, with a valid CSRF pair',
      send: async () => {
        const { cookie, token } = await csrfPair(ui.url);
        return rawRequest(ui.url, `/guitars/${ns}/strat/delete`, {
          method: 'POST',
          headers: {
            ...rebound(),
            cookie,
            'content-type': 'application/x-www-form-urlencoded',
            'sec-fetch-site': 'same-origin',
          },
          body: new URLSearchParams({ _csrf: token }).toString(),
        });
      },
    },
    {
      what: 'GET /api/guitars (reading the list)',
      send: () => rawRequest(ui.url, `/api/guitars?namespace=${ns}`, { headers: rebound() }),
    },
    {
      what: 'GET / (the page)',
      send: () => rawRequest(ui.url, '/', { headers: { ...rebound(), accept: 'text/html' } }),
    },
    {
      what: 'GET /events',
      // Resolves with the head: a stream, as before the check, would never end.
      send: async () => {
        const stream = await openStream(`${ui.url}/events`, { headers: rebound() });
        stream.close();
        return stream;
      },
    },
    { what: 'GET /metrics', send: () => rawRequest(ui.url, '/metrics', { headers: rebound() }) },
  ];

  it.each(attempts)('$what under a rebound name: 421, and the cluster unchanged', async ({ send }) => {
    const answer = await send();
    expect({ status: answer.status, guitars: await names() }).toEqual({ status: 421, guitars: ['strat'] });
    expect(answer.body).toContain('does not answer to the name');
    expect(answer.body).not.toContain('strat');
  });

  it('says why, in JSON for the API and on a page otherwise, and names the setting', async () => {
    const api = await rawRequest(ui.url, '/api/guitars', { headers: rebound() });
    expect(JSON.parse(api.body)).toEqual({
      status: 421,
      message: `This server does not answer to the name "${REBOUND}". If that is its address, add the name to UI_ALLOWED_HOSTS.`,
    });
    const page = await rawRequest(ui.url, '/', { headers: { ...rebound(), accept: 'text/html' } });
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('UI_ALLOWED_HOSTS');
  });

  it('answers loopback names and any address, with any port, and the probes at the pod address', async () => {
    for (const host of [`localhost:${port}`, `guitars.localhost:${port}`, `127.0.0.1:${port}`, '[::1]:9']) {
      const answer = await rawRequest(ui.url, `/api/guitars?namespace=${ns}`, { headers: { host } });
      expect({ host, status: answer.status }).toEqual({ host, status: 200 });
    }
    // The kubelet sends the pod's address and the probe's port.
    for (const path of ['/healthz', '/readyz']) {
      expect((await rawRequest(ui.url, path, { headers: { host: '10.128.2.17:8080' } })).status).toBe(200);
    }
  });

  it('still deletes through its own name (so the checks above can see a change)', async () => {
    const host = `localhost:${port}`;
    const answer = await rawRequest(ui.url, `/api/guitars/${ns}/strat`, {
      method: 'DELETE',
      headers: { host, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' },
    });
    expect(answer.status).toBe(204);
    expect(await names()).toEqual([]);
    await createGuitar(cluster.adminConfig(), ns, 'strat', { brand: 'fender' });
  });
});

describe('an exposed UI answers the names UI_ALLOWED_HOSTS lists', () => {
  const ROUTE_HOST = 'guitars-ui-guitarcenter.apps.example.test';
  let ui: UiApp;
  let router: TestRouter;
  let ns: string;
  const names = () => guitarNames(cluster.adminConfig(), ns);

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('exposed');
    ui = await startTestUi(cluster.adminConfig(), {
      env: { UI_ALLOWED_HOSTS: ROUTE_HOST, TRUST_PROXY: '1' },
    });
    router = await startRouter(ui.url);
  });

  afterAll(async () => {
    await router?.close();
    await ui?.stop();
  });

  const create = (base: string, name: string, host: string, headers: Record<string, string> = {}) =>
    rawRequest(base, '/api/guitars', {
      method: 'POST',
      headers: { host, origin: `https://${host}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ name, brand: 'fender', namespace: ns }),
    });

  it("answers the Route's name through the router, and refuses another", async () => {
    expect((await create(router.url, 'routed', ROUTE_HOST)).status).toBe(201);
    expect((await create(router.url, 'rebound', REBOUND)).status).toBe(421);
    expect(await names()).toEqual(['routed']);
  });

  it('believes no X-Forwarded-Host over the name the connection was sent to', async () => {
    // Straight to the pod (a port-forward, another pod), with the Route's name forged beside it.
    const forged = await create(ui.url, 'forged', REBOUND, { 'x-forwarded-host': ROUTE_HOST });
    expect(forged.status).toBe(421);
    expect(await names()).toEqual(['routed']);
  });
});

describe('with sign-in on and no list, any name is answered: the credentials are per origin', () => {
  const TOKEN = 'script-token-0123456789';
  let ui: UiApp;

  beforeAll(async () => {
    await prepareCluster(cluster);
    ui = await startTestUi(cluster.adminConfig(), { env: { UI_AUTH_TOKEN: TOKEN } });
  });

  afterAll(async () => {
    await ui?.stop();
  });

  it('answers a name only with the credentials, which a rebound page does not have', async () => {
    const host = 'guitars.example.test';
    const get = (headers: Record<string, string>) =>
      rawRequest(ui.url, '/api/guitars', { headers: { host, ...headers } });
    expect((await get({})).status).toBe(401);
    expect((await get({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it('refuses names outside UI_ALLOWED_HOSTS before asking for credentials', async () => {
    const listed = await startTestUi(cluster.adminConfig(), {
      env: { UI_AUTH_TOKEN: TOKEN, UI_ALLOWED_HOSTS: 'guitars.example.test' },
    });
    try {
      const get = (host: string) =>
        rawRequest(listed.url, '/api/guitars', { headers: { host, authorization: `Bearer ${TOKEN}` } });
      expect((await get('guitars.example.test')).status).toBe(200);
      expect((await get(REBOUND)).status).toBe(421);
      const bare = await rawRequest(listed.url, '/api/guitars', { headers: { host: REBOUND } });
      expect({ status: bare.status, challenge: bare.headers['www-authenticate'] }).toEqual({
        status: 421,
        challenge: undefined,
      });
    } finally {
      await listed.stop();
    }
  });
});
