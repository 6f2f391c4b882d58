import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Cluster } from '@guitars/testenv';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { UiApp } from '../start.js';
import { launchChromium } from '../test-support/chromium.js';
import { startRouter, TEST_TLS, type TestRouter } from '../test-support/router.js';
import {
  createGuitar,
  csrfTokenIn,
  guitarNames,
  prepareCluster,
  startTestUi,
  uiServiceAccountConfig,
} from '../test-support/ui.js';

/**
 * The attack issue 11 found, in a real browser: another app under the same apps domain is the
 * same site as the UI, so its POSTs carry the UI's SameSite=Lax cookies. It plants a CSRF cookie
 * for the whole domain, with a pair it got from the UI for itself, and makes its visitor's browser
 * post the UI's delete form with the matching token. Chromium resolves *.apps.example.test to this
 * host: the UI and the sibling are two hosts of one site, as two Routes of one cluster are.
 */

const cluster = new Cluster(inject('testenv'));
const APPS_DOMAIN = 'apps.example.test';

/** The sibling's page: sets `cookies`, then posts a delete form to `action` with `token`. */
function siblingPage(cookies: () => string[], action: () => string, token: () => string): RequestListener {
  return (_req, res) => {
    res.setHeader('Set-Cookie', cookies());
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(
      `<!doctype html><form id="f" method="post" action="${action()}">` +
        `<input type="hidden" name="_csrf" value="${token()}"></form>` +
        `<script>document.getElementById('f').submit()</script>`,
    );
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('a sibling app under the same apps domain, in Chromium', () => {
  let browser: Browser;
  let ns: string;
  /** A valid CSRF pair (cookie value = token) the sibling got from the UI, as anyone can. */
  let token: string;
  const names = () => guitarNames(cluster.adminConfig(), ns);

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('sibling');
    for (const name of ['victim', 'mine-http', 'mine-https']) {
      await createGuitar(cluster.adminConfig(), ns, name, { brand: 'fender' });
    }
    const launched = await launchChromium(process.env, {
      args: [`--host-resolver-rules=MAP *.${APPS_DOMAIN} 127.0.0.1`],
    });
    browser = launched.browser;
    console.info(`[sibling-site test] ${launched.description}`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** Visits the sibling, lets its form post itself, and returns what was sent and answered. */
  async function visitSibling(siblingOrigin: string) {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const sent = page.waitForRequest((r) => r.method() === 'POST');
    const answered = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.goto(siblingOrigin);
    const headers = await (await sent).allHeaders();
    const response = await answered;
    return { context, page, headers, status: response.status(), text: await response.text() };
  }

  describe('over HTTPS (an edge Route, TRUST_PROXY=1)', () => {
    let ui: UiApp;
    let router: TestRouter;
    let sibling: Server;
    let uiOrigin: string;
    let siblingOrigin: string;

    beforeAll(async () => {
      ui = await startTestUi(await uiServiceAccountConfig(cluster), {
        env: { TRUST_PROXY: '1', UI_ALLOWED_HOSTS: `guitars-ui.${APPS_DOMAIN}` },
      });
      await ui.store.waitUntil(() => ui.store.get(ns, 'mine-https') !== undefined, 10_000);
      router = await startRouter(ui.url, TEST_TLS);
      uiOrigin = `https://guitars-ui.${APPS_DOMAIN}:${new URL(router.url).port}`;
      token = csrfTokenIn(await (await fetch(`${ui.url}/guitars/new`)).text()) ?? '';
      expect(token).not.toBe('');
      sibling = createTlsServer(
        TEST_TLS,
        siblingPage(
          () => [
            `gc_csrf=${token}; Domain=${APPS_DOMAIN}; Path=/; Secure; SameSite=Lax`,
            // The browser must refuse this one: __Host- cookies cannot name a Domain.
            `__Host-gc_csrf=${token}; Domain=${APPS_DOMAIN}; Path=/; Secure; SameSite=Lax`,
          ],
          () => `${uiOrigin}/guitars/${ns}/victim/delete`,
          () => token,
        ),
      );
      siblingOrigin = `https://other-app.${APPS_DOMAIN}:${await listen(sibling)}`;
    });

    afterAll(async () => {
      await new Promise((resolve) => sibling?.close(resolve));
      await router?.close();
      await ui?.stop();
    });

    it("refuses the sibling's forged delete: it cannot plant a __Host- cookie, and its Origin is not the UI's", async () => {
      const before = await names();
      const { context, headers, status, text } = await visitSibling(siblingOrigin);
      // What the browser really sent: the planted bare cookie and the matching token, same-site.
      expect(headers.cookie).toContain(`gc_csrf=${token}`);
      expect(headers.cookie).not.toContain('__Host-');
      expect(headers['sec-fetch-site']).toBe('same-site');
      expect(headers.origin).toBe(siblingOrigin);
      expect(status).toBe(403);
      expect(text).toContain('came from another site');
      expect(await names()).toEqual(before);
      expect(before).toContain('victim');
      await context.close();
    });

    it("still lets the visitor delete with the UI's own form, with a __Host- cookie", async () => {
      const { context, page } = await visitSibling(siblingOrigin);
      await page.goto(`${uiOrigin}/guitars/${ns}/mine-https/delete`);
      const cookies = await context.cookies(uiOrigin);
      expect(cookies.find((c) => c.name === '__Host-gc_csrf')).toMatchObject({
        secure: true,
        httpOnly: true,
      });
      await page.getByRole('button', { name: 'Delete mine-https' }).click();
      await page.waitForURL(`${uiOrigin}/`);
      expect(await page.locator('.flash-success').textContent()).toContain('Deleted mine-https');
      expect(await names()).not.toContain('mine-https');
      expect(await names()).toContain('victim');
      await context.close();
    });
  });

  describe('over plain HTTP, where Chromium sends no fetch metadata', () => {
    let ui: UiApp;
    let sibling: Server;
    let uiOrigin: string;
    let siblingOrigin: string;

    beforeAll(async () => {
      ui = await startTestUi(await uiServiceAccountConfig(cluster), {
        env: { UI_ALLOWED_HOSTS: `guitars-ui.${APPS_DOMAIN}` },
      });
      await ui.store.waitUntil(() => ui.store.get(ns, 'mine-http') !== undefined, 10_000);
      uiOrigin = `http://guitars-ui.${APPS_DOMAIN}:${new URL(ui.url).port}`;
      token = csrfTokenIn(await (await fetch(`${ui.url}/guitars/new`)).text()) ?? '';
      sibling = createServer(
        siblingPage(
          () => [`gc_csrf=${token}; Domain=${APPS_DOMAIN}; Path=/; SameSite=Lax`],
          () => `${uiOrigin}/guitars/${ns}/victim/delete`,
          () => token,
        ),
      );
      siblingOrigin = `http://other-app.${APPS_DOMAIN}:${await listen(sibling)}`;
    });

    afterAll(async () => {
      await new Promise((resolve) => sibling?.close(resolve));
      await ui?.stop();
    });

    it("refuses the sibling's forged delete on its Origin alone, though the planted pair is valid", async () => {
      const before = await names();
      const { context, headers, status, text } = await visitSibling(siblingOrigin);
      expect(headers.cookie).toContain(`gc_csrf=${token}`);
      expect(headers.origin).toBe(siblingOrigin);
      expect(status).toBe(403);
      expect(text).toContain('came from another site');
      expect(await names()).toEqual(before);
      await context.close();
    });

    it("still lets the visitor delete with the UI's own form, the planted cookie and all", async () => {
      const { context, page } = await visitSibling(siblingOrigin);
      await page.goto(`${uiOrigin}/guitars/${ns}/mine-http/delete`);
      await page.getByRole('button', { name: 'Delete mine-http' }).click();
      await page.waitForURL(`${uiOrigin}/`);
      expect(await page.locator('.flash-success').textContent()).toContain('Deleted mine-http');
      expect(await names()).not.toContain('mine-http');
      expect(await names()).toContain('victim');
      await context.close();
    });
  });
});
