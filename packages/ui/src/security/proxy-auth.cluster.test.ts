import { Writable } from 'node:stream';
import { Cluster } from '@guitars/testenv';
import { pino } from 'pino';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { UiApp } from '../start.js';
import { launchChromium } from '../test-support/chromium.js';
import { send } from '../test-support/raw-http.js';
import type { SignInProxy } from '../test-support/sign-in-proxy.js';
import { startTwoUsers, type TwoUsers } from '../test-support/two-users.js';
import { createGuitar, csrfTokenIn, guitarNames, type TestClient } from '../test-support/ui.js';

/**
 * UI_AUTH=proxy against a real apiserver: two users (ServiceAccount tokens stand in for OpenShift
 * users) reach the UI through a stand-in for oauth-proxy. Alice may manage guitars in namespace A;
 * Bob may only list them in namespace B. The UI itself (k8s/base/ui-rbac.yaml) may do everything
 * everywhere, so every refusal below is the user's RBAC, not the UI's.
 */

const cluster = new Cluster(inject('testenv'));

describe('signed in through a proxy (UI_AUTH=proxy), writes under each user’s RBAC', () => {
  let users: TwoUsers;
  let ui: UiApp;
  let alice: TestClient;
  let bob: TestClient;
  let aliceProxy: SignInProxy;
  let bobProxy: SignInProxy;
  let nsA: string;
  let nsB: string;
  let nsC: string;
  let aliceName: string;
  let bobName: string;
  let aliceToken: string;
  const logLines: Array<Record<string, unknown>> = [];
  const admin = () => cluster.adminConfig();
  const everything = () => users.everything();

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    users = await startTwoUsers(cluster, {
      prefix: 'proxy',
      seed: {
        a: [['a-strat', { brand: 'fender', review: false }]],
        b: [['b-tele', { brand: 'fender', review: false }]],
        other: [['c-secret', { brand: 'gibson', review: false }]],
      },
      logger: pino({ level: 'info' }, sink),
    });
    ({ ui, alice, bob, aliceProxy, bobProxy, aliceName, bobName, aliceToken } = users);
    ({ a: nsA, b: nsB, other: nsC } = users.ns);
  }, 120_000);

  afterAll(async () => {
    await users?.close();
  });

  it('shows each user only the namespaces where they may list guitars, and who is signed in', async () => {
    const a = await alice.get('/');
    expect(a.status).toBe(200);
    expect(a.text).toContain('a-strat');
    expect(a.text).not.toContain('b-tele');
    expect(a.text).not.toContain('c-secret');
    expect(a.text).toContain(`Signed in as <strong>${aliceName}</strong>`);
    expect(a.text).toContain('href="/oauth/sign_out"');

    const b = await bob.get('/');
    expect(b.text).toContain('b-tele');
    expect(b.text).not.toContain('a-strat');
    expect(b.text).not.toContain('c-secret');

    const api = (await (await bob.json('GET', '/api/guitars')).json()) as { items: Array<{ name: string }> };
    expect(api.items.map((g) => g.name)).toEqual(['b-tele']);
    const frag = await bob.get('/fragments/guitars');
    expect(frag.text).not.toContain('a-strat');
    // A guitar of another namespace, asked for by name: the apiserver answers, as Bob.
    const one = await bob.json('GET', `/api/guitars/${nsC}/c-secret`);
    expect(one.status).toBe(403);
    // The delete page does not show what it would delete (its brand) to someone who may not list it.
    const confirm = await bob.get(`/guitars/${nsC}/c-secret/delete`);
    expect(confirm.text).not.toContain('gibson');
  });

  it('lets the user whom RBAC allows create and delete, and audits each as that user', async () => {
    const created = await alice.submit('/guitars/new', '/guitars', {
      name: 'a-jazz',
      brand: 'Fender',
      namespace: nsA,
    });
    expect(created.status).toBe(303);
    expect(await guitarNames(admin(), nsA)).toEqual(['a-jazz', 'a-strat']);
    const deleted = await alice.submit(`/guitars/${nsA}/a-jazz/delete`, `/guitars/${nsA}/a-jazz/delete`, {});
    expect(deleted.status).toBe(303);
    expect(await guitarNames(admin(), nsA)).toEqual(['a-strat']);
    const audit = logLines.filter((l) => l.audit === true && l.name === 'a-jazz');
    expect(audit.map((l) => [l.action, l.user, l.namespace, l.result])).toEqual([
      ['create', aliceName, nsA, 'ok'],
      ['delete', aliceName, nsA, 'ok'],
    ]);
    // The token is in no log line, whichever field it might have landed in.
    expect(JSON.stringify(logLines)).not.toContain(aliceToken);
  });

  it('refuses the user whom RBAC refuses with a 403 page naming what was refused; nothing changes', async () => {
    const before = await everything();
    const create = await bob.submit('/guitars/new', '/guitars', {
      name: 'b-new',
      brand: 'Fender',
      namespace: nsB,
    });
    expect(create.status).toBe(403);
    expect(await create.text()).toContain(
      `You (${bobName}) may not create guitars in namespace &#34;${nsB}&#34;`,
    );

    const del = await bob.submit(`/guitars/${nsB}/b-tele/delete`, `/guitars/${nsB}/b-tele/delete`, {});
    expect(del.status).toBe(403);
    expect(await del.text()).toContain(`may not delete guitars in namespace &#34;${nsB}&#34;`);

    // Alice's namespace, through the API: her right is not Bob's.
    const api = await bob.json('DELETE', `/api/guitars/${nsA}/a-strat`);
    expect(api.status).toBe(403);
    expect(((await api.json()) as { message: string }).message).toContain(
      `may not delete guitars in namespace "${nsA}"`,
    );
    expect(await everything()).toBe(before);
    const refusals = logLines.filter((l) => l.audit === true && l.user === bobName).map((l) => l.result);
    expect(refusals).toEqual(['403', '403', '403']);
  });

  it("refuses a form posted with another user's CSRF pair; nothing changes", async () => {
    // Bob signs in and takes a CSRF pair (cookie and token) minted for him, as anyone can...
    const form = await fetch(`${bobProxy.url}/guitars/new`, { headers: { accept: 'text/html' } });
    const token = csrfTokenIn(await form.text());
    const cookie = form.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    expect(token).toBeDefined();
    // ...and makes Alice's browser post it (a planted cookie and a form on a sibling site).
    const before = await everything();
    const posted = await fetch(`${aliceProxy.url}/guitars`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie },
      body: new URLSearchParams({ _csrf: token ?? '', name: 'planted', brand: 'Fender', namespace: nsA }),
    });
    expect(posted.status).toBe(403);
    expect(await everything()).toBe(before);
    // The same pair still works for Bob himself (as far as the form goes: RBAC then refuses him).
    const own = await fetch(`${bobProxy.url}/guitars`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie },
      body: new URLSearchParams({ _csrf: token ?? '', name: 'planted', brand: 'Fender', namespace: nsB }),
    });
    expect(await own.text()).toContain('may not create guitars');
  });

  it('refuses identity headers from anywhere but the proxy address, with 401; nothing changes', async () => {
    const before = await everything();
    const forged = { 'x-forwarded-user': aliceName, 'x-forwarded-access-token': aliceToken };
    const page = await send(`${ui.url}/`, { from: '127.0.0.2', headers: forged });
    expect(page.status).toBe(401);
    expect(page.body).not.toContain('a-strat');
    const api = await send(`${ui.url}/api/guitars/${nsA}/a-strat`, {
      from: '127.0.0.2',
      method: 'DELETE',
      headers: forged,
    });
    expect(api.status).toBe(401);
    const post = await send(`${ui.url}/api/guitars`, {
      from: '127.0.0.2',
      method: 'POST',
      headers: { ...forged, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'forged', brand: 'fender', namespace: nsA }),
    });
    expect(post.status).toBe(401);
    // TRUST_PROXY decides req.ip, not who may sign in: a forged X-Forwarded-For changes nothing.
    const spoofed = await send(`${ui.url}/api/guitars`, {
      from: '127.0.0.2',
      headers: { ...forged, 'x-forwarded-for': '127.0.0.1' },
    });
    expect(spoofed.status).toBe(401);
    // From the proxy's address, but without a user: refused too, never served as the UI itself.
    const anonymous = await send(`${ui.url}/api/guitars`, { headers: {} });
    expect(anonymous.status).toBe(401);
    const noToken = await send(`${ui.url}/api/guitars`, { headers: { 'x-forwarded-user': aliceName } });
    expect(noToken.status).toBe(401);
    expect(await everything()).toBe(before);
    // The kubelet's probes still answer, from anywhere.
    expect((await send(`${ui.url}/healthz`, { from: '127.0.0.2' })).status).toBe(200);
  });

  it('tells live pages only what kind of change happened, not which guitar', async () => {
    // A raw stream from the proxy's address, as Bob; a change in namespace C, which he may not
    // list, is not sent to him at all (visibility.cluster.test.ts); one in B, as its type only.
    const events: string[] = [];
    const controller = new AbortController();
    const response = await fetch(`${bobProxy.url}/events`, { signal: controller.signal });
    const reader = response.body?.getReader();
    await createGuitar(admin(), nsC, 'c-hidden', { brand: 'gibson', review: false });
    await createGuitar(admin(), nsB, 'b-live', { brand: 'fender', review: false });
    const decoder = new TextDecoder();
    const deadline = Date.now() + 10_000;
    while (!events.join('').includes('event: change') && Date.now() < deadline) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      events.push(decoder.decode(chunk.value));
    }
    controller.abort();
    expect(events.join('')).toContain('data: {"type":"upsert"}');
    expect(events.join('')).not.toContain('c-hidden');
    expect(events.join('')).not.toContain('b-live');
  });

  it('signs in through the proxy and deletes a guitar in Chromium', async () => {
    await createGuitar(admin(), nsA, 'a-browser', { brand: 'ibanez', review: false });
    await ui.store.waitUntil(() => ui.store.get(nsA, 'a-browser') !== undefined, 10_000);
    const { browser } = await launchChromium();
    try {
      const page: Page = await browser.newPage();
      await page.goto(aliceProxy.url);
      expect(await page.locator('.signed-in').textContent()).toContain(aliceName);
      await page.getByRole('link', { name: 'Delete a-browser' }).click();
      await page.getByRole('button', { name: 'Delete a-browser' }).click();
      await page.waitForURL(`${aliceProxy.url}/`);
      expect(await page.locator('body').textContent()).toContain('Deleted a-browser');
      expect(await guitarNames(admin(), nsA)).toEqual(['a-strat']);
    } finally {
      await browser.close();
    }
  });
});
