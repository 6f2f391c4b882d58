import { Cluster } from '@guitars/testenv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { UiApp } from '../start.js';
import { startRouter, type TestRouter } from '../test-support/router.js';
import {
  createGuitar,
  csrfTokenIn,
  guitarNames,
  prepareCluster,
  startTestUi,
  TestClient,
  uiServiceAccountConfig,
} from '../test-support/ui.js';

/**
 * Issue 11 §2, "forms cannot be forged": a hostile site (or a sibling app under the same apps
 * domain) tries to make a visitor's browser change guitars, against the real UI and apiserver.
 * Every refusal is checked against the cluster itself: nothing was created or deleted.
 */

const cluster = new Cluster(inject('testenv'));

/** What a browser sends with a POST from another page; `undefined` leaves the header out. */
const FOREIGN: Array<[string, { origin?: string; 'sec-fetch-site'?: string }]> = [
  ['from another site', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }],
  [
    'from a sibling host of the same site',
    { origin: 'https://other-app.apps.example.com', 'sec-fetch-site': 'same-site' },
  ],
  ['with a foreign Origin alone (no fetch metadata)', { origin: 'https://evil.example' }],
  ['with Origin: null (a sandboxed frame)', { origin: 'null', 'sec-fetch-site': 'cross-site' }],
  ['as cross-site fetch metadata alone (no Origin)', { 'sec-fetch-site': 'cross-site' }],
  ['as same-site fetch metadata alone (no Origin)', { 'sec-fetch-site': 'same-site' }],
];

function headersOf(variant: { origin?: string; 'sec-fetch-site'?: string }): Record<string, string> {
  return Object.fromEntries(Object.entries(variant).filter((e): e is [string, string] => e[1] !== undefined));
}

describe('forged forms, against the real UI and apiserver', () => {
  let ui: UiApp;
  let ns: string;
  const names = () => guitarNames(cluster.adminConfig(), ns);

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('forms');
    await createGuitar(cluster.adminConfig(), ns, 'victim', { brand: 'fender' });
    ui = await startTestUi(await uiServiceAccountConfig(cluster));
    await ui.store.waitUntil(() => ui.store.get(ns, 'victim') !== undefined, 10_000);
  });

  afterAll(async () => {
    await ui?.stop();
  });

  /** Posts a form as the browser holding `client`'s cookies would, with extra headers. */
  const postForm = (client: TestClient, path: string, fields: Record<string, string>, headers = {}) =>
    client.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...headers },
      body: new URLSearchParams(fields).toString(),
    });

  /** A browser that has loaded the delete page: its cookie and the page's token. */
  const loadedDeletePage = async () => {
    const client = new TestClient(ui.url);
    const token = csrfTokenIn((await client.get(`/guitars/${ns}/victim/delete`)).text);
    if (!token) throw new Error('no CSRF token on the delete page');
    return { client, token };
  };

  it('replaces a CSRF cookie the client chose instead of signing a token for it', async () => {
    const before = await names();
    const chosen = 'c'.repeat(64);
    // The attacker asks for a form with its chosen cookie, to learn the token for it...
    const page = await fetch(`${ui.url}/guitars/${ns}/victim/delete`, {
      headers: { cookie: `gc_csrf=${chosen}`, accept: 'text/html' },
    });
    const token = csrfTokenIn(await page.text()) ?? '';
    const minted = page.headers.getSetCookie().find((c) => c.startsWith('gc_csrf=')) ?? '';
    expect(minted).not.toContain(chosen);
    expect(token).not.toContain(chosen);
    // ...then plants the chosen cookie in a visitor's browser and posts either token with it.
    for (const sent of [token, chosen]) {
      const forged = await fetch(`${ui.url}/guitars/${ns}/victim/delete`, {
        method: 'POST',
        headers: {
          cookie: `gc_csrf=${chosen}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'text/html',
        },
        body: new URLSearchParams({ _csrf: sent }).toString(),
        redirect: 'manual',
      });
      expect(forged.status).toBe(403);
      expect(await forged.text()).toContain('did not come from this site');
    }
    expect(await names()).toEqual(before);
  });

  describe.each(FOREIGN)('a valid cookie and token sent %s', (_what, variant) => {
    it('is refused (403) for a create and a delete, and the cluster is unchanged', async () => {
      const before = await names();
      const { client, token } = await loadedDeletePage();
      const headers = headersOf(variant);
      const create = await postForm(
        client,
        '/guitars',
        { _csrf: token, name: 'forged', brand: 'fender', namespace: ns },
        headers,
      );
      expect(create.status).toBe(403);
      expect(await create.text()).toContain('came from another site');
      const remove = await postForm(client, `/guitars/${ns}/victim/delete`, { _csrf: token }, headers);
      expect(remove.status).toBe(403);
      expect(await names()).toEqual(before);
      expect(before).toContain('victim');
    });
  });

  it('accepts a valid cookie and token without Origin or fetch metadata (older browsers)', async () => {
    const { client, token } = await loadedDeletePage();
    const response = await postForm(client, '/guitars', {
      _csrf: token,
      name: 'no-origin',
      brand: 'gibson',
      namespace: ns,
    });
    expect(response.status).toBe(303);
    expect(await names()).toContain('no-origin');
  });

  it('takes its own form from a browser that hides the origin but says same-origin', async () => {
    const { client, token } = await loadedDeletePage();
    const hidden = { origin: 'null', 'sec-fetch-site': 'same-origin' };
    const fields = { _csrf: token, name: 'hidden-origin', brand: 'gibson', namespace: ns };
    expect((await postForm(client, '/guitars', fields, hidden)).status).toBe(303);
    expect(await names()).toContain('hidden-origin');
  });

  it('takes the forms of its own pages, as a browser posts them: create, then delete', async () => {
    const own = { origin: ui.url, 'sec-fetch-site': 'same-origin' };
    const client = new TestClient(ui.url, own);
    const created = await client.submit('/guitars/new', '/guitars', {
      name: 'legit',
      brand: 'martin',
      namespace: ns,
    });
    expect(created.status).toBe(303);
    expect(await names()).toContain('legit');
    expect((await client.get('/')).text).toContain(
      `Added <bdi>legit</bdi> (<bdi>martin</bdi>) to namespace <bdi>${ns}</bdi>`,
    );
    const deleted = await client.submit(`/guitars/${ns}/legit/delete`, `/guitars/${ns}/legit/delete`, {});
    expect(deleted.status).toBe(303);
    expect(await names()).not.toContain('legit');
  });

  it('believes no X-Forwarded-Proto by default: no __Host- cookie for a client claiming https', async () => {
    const page = await fetch(`${ui.url}/guitars/new`, { headers: { 'x-forwarded-proto': 'https' } });
    const cookie = page.headers.getSetCookie().find((c) => c.includes('gc_csrf=')) ?? '';
    expect(cookie).toMatch(/^gc_csrf=/);
    expect(cookie).not.toMatch(/; Secure/);
  });

  describe('the JSON API', () => {
    const api = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
      fetch(`${ui.url}${path}`, {
        method,
        headers: { accept: 'application/json', 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    it.each(FOREIGN)(
      'refuses a create and a delete sent %s (403), and changes nothing',
      async (_what, variant) => {
        const before = await names();
        const headers = headersOf(variant);
        const create = await api('POST', '/api/guitars', headers, {
          name: 'api-forged',
          brand: 'fender',
          namespace: ns,
        });
        expect(create.status).toBe(403);
        expect(((await create.json()) as { message: string }).message).toContain('came from another site');
        const remove = await api('DELETE', `/api/guitars/${ns}/victim`, headers);
        expect(remove.status).toBe(403);
        expect(await names()).toEqual(before);
      },
    );

    it('serves scripts, which send no Origin, and pages of its own origin', async () => {
      const script = await api(
        'POST',
        '/api/guitars',
        {},
        { name: 'api-script', brand: 'ibanez', namespace: ns },
      );
      expect(script.status).toBe(201);
      const own = { origin: ui.url, 'sec-fetch-site': 'same-origin' };
      const page = await api('POST', '/api/guitars', own, {
        name: 'api-page',
        brand: 'ibanez',
        namespace: ns,
      });
      expect(page.status).toBe(201);
      expect(await names()).toEqual(expect.arrayContaining(['api-page', 'api-script']));
      expect((await api('DELETE', `/api/guitars/${ns}/api-script`, {})).status).toBe(204);
      expect((await api('DELETE', `/api/guitars/${ns}/api-page`, own)).status).toBe(204);
      expect(await names()).not.toContain('api-script');
    });
  });
});

describe('forms behind a TLS router (an edge Route, TRUST_PROXY=1)', () => {
  let ui: UiApp;
  let router: TestRouter;
  let ns: string;
  /** The origin browsers see: the Route's host, over https. */
  let routeOrigin: string;
  const names = () => guitarNames(cluster.adminConfig(), ns);

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('forms-tls');
    await createGuitar(cluster.adminConfig(), ns, 'victim', { brand: 'fender' });
    ui = await startTestUi(await uiServiceAccountConfig(cluster), { env: { TRUST_PROXY: '1' } });
    router = await startRouter(ui.url);
    routeOrigin = router.url.replace('http:', 'https:');
  });

  afterAll(async () => {
    await router?.close();
    await ui?.stop();
  });

  it('sets __Host- cookies (Secure, Path=/, no Domain), and its own forms work', async () => {
    const client = new TestClient(router.url, { origin: routeOrigin, 'sec-fetch-site': 'same-origin' });
    const { response } = await client.get('/guitars/new');
    const csrf = response.headers.getSetCookie().find((c) => c.startsWith('__Host-gc_csrf=')) ?? '';
    expect(csrf).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(csrf).not.toMatch(/Domain=/i);
    const created = await client.submit('/guitars/new', '/guitars', {
      name: 'routed',
      brand: 'yamaha',
      namespace: ns,
    });
    expect(created.status).toBe(303);
    expect(
      created.headers.getSetCookie().some((c) => c.startsWith('__Host-gc_flash=') && /; Secure/.test(c)),
    ).toBe(true);
    expect((await client.get('/')).text).toContain('Added <bdi>routed</bdi> (<bdi>yamaha</bdi>)');
    expect(await names()).toContain('routed');
  });

  it('ignores a pair under the bare cookie name, which a sibling host could plant', async () => {
    const before = await names();
    // A valid pair minted for plain HTTP (the attacker can get one), carried in a visitor's
    // browser: the cookie holds the same signed token as the form.
    const token = csrfTokenIn((await new TestClient(ui.url).get('/guitars/new')).text) ?? '';
    expect(token).not.toBe('');
    const response = await fetch(`${router.url}/guitars/${ns}/victim/delete`, {
      method: 'POST',
      headers: {
        cookie: `gc_csrf=${encodeURIComponent(token)}`,
        'content-type': 'application/x-www-form-urlencoded',
        origin: routeOrigin,
        'sec-fetch-site': 'same-origin',
      },
      body: new URLSearchParams({ _csrf: token }).toString(),
      redirect: 'manual',
    });
    expect(response.status).toBe(403);
    expect(await names()).toEqual(before);
  });

  it('refuses the Route host over plain http as an Origin', async () => {
    const before = await names();
    const client = new TestClient(router.url, { origin: router.url });
    const response = await client.submit(`/guitars/${ns}/victim/delete`, `/guitars/${ns}/victim/delete`, {});
    expect(response.status).toBe(403);
    expect(await names()).toEqual(before);
  });
});
