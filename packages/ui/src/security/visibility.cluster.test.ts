// Issue 23, "nothing leaked": under UI_AUTH=proxy, what a signed-in user sees (suggestions, counts,
// live events) comes from the namespaces they may list only, and nothing answers without a token
// the apiserver accepts; /metrics (cluster-wide numbers) is on a port of its own, not the users'.
import { Cluster } from '@guitars/testenv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { UiApp } from '../start.js';
import { send } from '../test-support/raw-http.js';
import type { SignInProxy } from '../test-support/sign-in-proxy.js';
import { startTwoUsers, type TwoUsers } from '../test-support/two-users.js';
import { createGuitar, deleteGuitar, type TestClient } from '../test-support/ui.js';

const cluster = new Cluster(inject('testenv'));
const SECRET_BRAND = 'acme secret prototype 7';

interface ListBody {
  items: Array<{ name: string; namespace: string; brand: string }>;
  total: number;
}

/** Reads an event stream until `done` holds for what came so far (or the stream ends). */
async function readUntil(response: Response, done: (text: string) => boolean, timeoutMs = 10_000) {
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let text = '';
  const timer = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    while (!done(text)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
  }
  return text;
}

describe('a signed-in user sees only what they may list (UI_AUTH=proxy)', () => {
  let users: TwoUsers;
  let ui: UiApp;
  let bobProxy: SignInProxy;
  let alice: TestClient;
  let bob: TestClient;
  let nsA: string;
  let nsB: string;
  let nsSecret: string;
  const admin = () => cluster.adminConfig();
  const everything = () => users.everything();

  beforeAll(async () => {
    users = await startTwoUsers(cluster, {
      prefix: 'vis',
      seed: {
        a: [['a-jem', { brand: 'ibanez', review: false }]],
        b: [['b-tele', { brand: 'fender', review: false }]],
        other: [
          ['prototype', { brand: SECRET_BRAND, review: false }],
          ['old-proto', { brand: SECRET_BRAND, review: false }],
        ],
      },
      env: { UI_METRICS_BIND_ADDRESS: '127.0.0.1:0' },
    });
    ({ ui, alice, bob, bobProxy } = users);
    ({ a: nsA, b: nsB, other: nsSecret } = users.ns);
  }, 120_000);

  afterAll(async () => {
    await users?.close();
  });

  it('suggests and counts only the brands, namespaces and guitars of namespaces the user may list', async () => {
    const before = await everything();
    const page = await bob.get('/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<p class="summary">1 guitar</p>');
    // The filters' suggestions: a brand or a namespace name is itself a thing not to be told.
    expect(page.text).toContain('<option value="fender">');
    expect(page.text).not.toContain(SECRET_BRAND);
    expect(page.text).not.toContain(nsSecret);
    expect(page.text).not.toContain('ibanez');
    const a = await alice.get('/');
    expect(a.text).toContain('<option value="ibanez">');
    expect(a.text).not.toContain(SECRET_BRAND);
    expect(a.text).not.toContain('<option value="fender">');
    const form = await bob.get('/guitars/new');
    expect(form.text).not.toContain(nsSecret);
    expect(form.text).not.toContain(SECRET_BRAND);

    // Counts, whichever way they are asked for: filters on what cannot be listed find nothing.
    const list = async (query: string) =>
      (await (await bob.json('GET', `/api/guitars${query}`)).json()) as ListBody;
    expect((await list('')).total).toBe(1);
    expect(await list(`?namespace=${nsSecret}`)).toMatchObject({ total: 0, items: [] });
    expect(await list(`?brand=${encodeURIComponent(SECRET_BRAND)}`)).toMatchObject({ total: 0, items: [] });
    const past = await bob.json('GET', '/api/guitars?page=2');
    expect(past.status).toBe(404);
    expect(((await past.json()) as { message: string }).message).toContain('1 guitars match');
    const fragment = await bob.get(`/fragments/guitars?brand=${encodeURIComponent(SECRET_BRAND)}`);
    expect(fragment.text).toContain('0 guitars match the filter');
    expect(fragment.text).not.toContain('prototype');
    expect(await everything()).toBe(before);
  });

  it('sends a live page no event at all for a namespace the user may not list', async () => {
    // Bob's page asks RBAC about every namespace with guitars, the secret one included.
    expect((await bob.get('/')).status).toBe(200);
    const controller = new AbortController();
    const stream = await fetch(`${bobProxy.url}/events`, { signal: controller.signal });
    expect(stream.status).toBe(200);
    // A change he may not hear of (a delete), then, once the UI has seen it, one he may (an upsert).
    await deleteGuitar(admin(), nsSecret, 'old-proto');
    await ui.store.waitUntil(() => ui.store.get(nsSecret, 'old-proto') === undefined, 10_000);
    await createGuitar(admin(), nsB, 'b-live', { brand: 'fender', review: false });
    const text = await readUntil(stream, (t) => t.includes('event: change'));
    controller.abort();
    expect(text).toContain('event: change\ndata: {"type":"upsert"}');
    expect(text).not.toContain('"type":"delete"');
    expect(text).not.toContain('old-proto');
    expect(text.match(/event: change/g)).toHaveLength(1);
  });

  it('answers nothing but the probes to a token the apiserver does not accept; nothing changes', async () => {
    const before = await everything();
    // From the proxy's own address, with headers it would never send for a user it signed in.
    const forged = { 'x-forwarded-user': 'mallory', 'x-forwarded-access-token': 'not-a-token' };
    for (const path of ['/events', '/static/app.css', '/api/openapi.json', '/metrics', '/', '/api/guitars']) {
      const answer = await send(`${ui.url}${path}`, { headers: forged });
      expect(answer.status, path).toBe(401);
      expect(answer.body, path).not.toContain('guitars_ui_cached_guitars');
    }
    const post = await send(`${ui.url}/api/guitars`, {
      method: 'POST',
      headers: { ...forged, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'forged', brand: 'fender', namespace: nsA }),
    });
    expect(post.status).toBe(401);
    expect(await everything()).toBe(before);
    expect((await send(`${ui.url}/readyz`)).status).toBe(200);
    // A user the apiserver accepts gets the static files and the API's description.
    expect((await bob.get('/static/app.css')).status).toBe(200);
    expect((await bob.json('GET', '/api/openapi.json')).status).toBe(200);
  });

  it('serves /metrics on a port of its own, never to a signed-in user', async () => {
    const onUsersPort = await bob.get('/metrics');
    expect(onUsersPort.status).toBe(404);
    expect(onUsersPort.text).not.toContain('guitars_ui_cached_guitars');
    expect(ui.metricsUrl).toBeDefined();
    const scraped = await fetch(`${ui.metricsUrl}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^guitars_ui_cached_guitars \d+$/m);
    // That port serves the probes and /metrics only: no page, no API.
    expect((await fetch(`${ui.metricsUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${ui.metricsUrl}/`)).status).toBe(404);
    expect((await fetch(`${ui.metricsUrl}/api/guitars`)).status).toBe(404);
  });
});
