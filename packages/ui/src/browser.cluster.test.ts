import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureGuitarCrd } from '@guitars/shared';
import { type ControlPlane, startControlPlane } from '@guitars/testenv';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UiApp } from './start.js';
import { launchChromium } from './test-support/chromium.js';
import {
  createGuitar,
  deleteGuitar,
  reviewAsController,
  startTestUi,
  uiServiceAccountConfig,
} from './test-support/ui.js';

/** The screenshot the README shows, written at the repository root's docs/. */
const SCREENSHOT = fileURLToPath(new URL('../../../docs/ui.png', import.meta.url));
const NS = 'guitarcenter';
/**
 * How long the page may take to show what the cluster holds: on a busy machine the UI's informer
 * can take longer than expect.poll's 1 s default. The live updates keep their 1 s bound.
 */
const SETTLE = { timeout: 10_000 };

const GREAT = 'this is a great instrument';
const POOR = 'this instrument is not one we would recommend';
const SAMPLES: Array<[name: string, brand: string, comment: string]> = [
  ['stratocaster', 'fender', GREAT],
  ['lespaul', 'epiphone', POOR],
  ['d15', 'martin', GREAT],
  ['telecaster', 'fender', GREAT],
  ['x003', 'yamaha', POOR],
];

/**
 * The UI in a real browser: JavaScript on (live updates) and off (plain forms). It runs on a
 * control plane of its own, so the list holds only what this file puts there and the screenshot
 * is the same on every run. The browser: CHROMIUM_PATH, else the system's, else the one npm
 * installed (test-support/chromium.ts); the output names the one that ran.
 */
describe('the UI in Chromium', () => {
  let plane: ControlPlane;
  let ui: UiApp;
  let browser: Browser;
  const cspViolations: string[] = [];
  const dialogs: string[] = [];

  const createAsAdmin = (name: string, spec: Record<string, unknown>) =>
    createGuitar(plane.adminConfig(), NS, name, spec);
  const deleteAsAdmin = (name: string) => deleteGuitar(plane.adminConfig(), NS, name);
  const reviewAs = (name: string, comment: string) =>
    reviewAsController(plane.adminConfig(), NS, name, comment);

  const newPage = async (options: {
    javaScriptEnabled: boolean;
  }): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ ...options, viewport: { width: 1180, height: 640 } });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content[- ]Security[- ]Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    return { context, page };
  };
  const row = (page: Page, name: string) => page.locator(`tr[data-key="${NS}/${name}"]`);

  beforeAll(async () => {
    const launched = await launchChromium();
    browser = launched.browser;
    console.info(`[browser test] ${launched.description}`);
    plane = await startControlPlane({ log: () => {} });
    await ensureGuitarCrd(plane.adminConfig());
    ui = await startTestUi(await uiServiceAccountConfig(plane));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
    await plane?.stop();
  });

  it('shows the five samples, reviewed, with a badge per brand (docs/ui.png)', async () => {
    for (const [name, brand] of SAMPLES) await createAsAdmin(name, { brand, review: false });
    for (const [name, , comment] of SAMPLES) await reviewAs(name, comment);
    const { context, page } = await newPage({ javaScriptEnabled: true });
    await page.goto(ui.url);
    await expect.poll(() => page.locator('tbody tr').count(), SETTLE).toBe(5);
    expect(await page.locator('tbody th[scope=row]').allTextContents()).toEqual([
      'lespaul',
      'stratocaster',
      'telecaster',
      'd15',
      'x003',
    ]);
    expect(await page.locator('.status-reviewed').count()).toBe(5);
    expect(await row(page, 'x003').locator('.comment').textContent()).toBe(POOR);
    await expect.poll(() => page.locator('#live-status').textContent(), SETTLE).toBe('Live');
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await context.close();
  });

  it('adds a guitar through the form, shows the review live, and deletes it (JavaScript on)', async () => {
    const { context, page } = await newPage({ javaScriptEnabled: true });
    await page.goto(ui.url);
    await page.getByRole('link', { name: 'Add a guitar' }).first().click();
    await page.getByLabel('Name', { exact: true }).fill('Jumbo');
    await page.getByLabel('Brand').fill('gibson');
    expect(await page.getByLabel('Namespace').inputValue()).toBe(NS);
    await page.getByRole('button', { name: 'Add guitar' }).click();

    await page.waitForURL(`${ui.url}/`);
    expect(await page.locator('.flash-success').textContent()).toContain('Added jumbo (gibson)');
    expect(await row(page, 'jumbo').locator('.comment').textContent()).toBe('awaiting review');
    expect(await row(page, 'jumbo').locator('.status').textContent()).toBe('Pending');
    await expect.poll(() => page.locator('#live-status').textContent(), SETTLE).toBe('Live');

    // The controller's review appears without a reload (a marker on window survives only then).
    await page.evaluate('window.notReloaded = true');
    const patched = Date.now();
    await reviewAs('jumbo', GREAT);
    await expect
      .poll(() => row(page, 'jumbo').locator('.comment').textContent(), { timeout: 1_000, interval: 20 })
      .toBe(GREAT);
    const reviewMs = Date.now() - patched;
    expect(await row(page, 'jumbo').locator('.status').textContent()).toBe('Reviewed');

    // Someone else adds and removes guitars: both show up live too.
    await createAsAdmin('hummingbird', { brand: 'gibson' });
    await row(page, 'hummingbird').waitFor({ timeout: 1_000 });
    await deleteAsAdmin('hummingbird');
    await row(page, 'hummingbird').waitFor({ state: 'detached', timeout: 1_000 });
    expect(await page.evaluate('window.notReloaded')).toBe(true);

    await row(page, 'jumbo').getByRole('link', { name: 'Delete jumbo' }).click();
    expect(await page.locator('h1').textContent()).toBe('Delete jumbo?');
    await page.getByRole('button', { name: 'Delete jumbo' }).click();
    await page.waitForURL(`${ui.url}/`);
    expect(await page.locator('.flash-success').textContent()).toBe(`Deleted jumbo from namespace ${NS}.`);
    expect(await row(page, 'jumbo').count()).toBe(0);
    await context.close();
    expect(reviewMs).toBeLessThan(1_000);
  });

  it('catches up with a change made before its live stream opened', async () => {
    await createAsAdmin('dreadnought', { brand: 'martin' });
    await ui.store.waitUntil(() => ui.store.get(NS, 'dreadnought') !== undefined, 10_000);
    const { context, page } = await newPage({ javaScriptEnabled: true });
    // The stream is held until the review has landed: the page was rendered before it.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/events', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(ui.url);
    expect(await row(page, 'dreadnought').locator('.status').textContent()).toBe('Pending');
    await reviewAs('dreadnought', GREAT);
    await ui.store.waitUntil(() => ui.store.get(NS, 'dreadnought')?.reviewed === true, 10_000);
    release();
    await expect.poll(() => page.locator('#live-status').textContent(), SETTLE).toBe('Live');
    // Well before the 30 s age refresh, which would otherwise be the first to show it.
    await expect
      .poll(() => row(page, 'dreadnought').locator('.status').textContent(), { timeout: 3_000, interval: 50 })
      .toBe('Reviewed');
    await context.close();
    await deleteAsAdmin('dreadnought');
  });

  it('works with JavaScript off: list, add (with a validation message), delete', async () => {
    const { context, page } = await newPage({ javaScriptEnabled: false });
    await page.goto(ui.url);
    expect(await page.locator('tbody tr').count()).toBe(5);
    expect(await page.locator('#live-status').isVisible()).toBe(false);

    await page.getByRole('link', { name: 'Add a guitar' }).first().click();
    await page.getByLabel('Name', { exact: true }).fill('Les Paul!');
    await page.getByLabel('Brand').fill('gibson');
    await page.getByRole('button', { name: 'Add guitar' }).click();
    expect(await page.locator('#name-error').textContent()).toContain(
      "Use only lower-case letters, digits, '-' and '.'",
    );
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Les Paul!');
    expect(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Name', { exact: true }).fill('les-paul');
    await page.getByRole('button', { name: 'Add guitar' }).click();
    await page.waitForURL(`${ui.url}/`);
    expect(await page.locator('.flash-success').textContent()).toContain('Added les-paul (gibson)');
    expect(await row(page, 'les-paul').count()).toBe(1);

    await page.goto(`${ui.url}/?brand=gibson`);
    expect(await page.locator('tbody th[scope=row]').allTextContents()).toEqual(['les-paul']);

    await row(page, 'les-paul').getByRole('link', { name: 'Delete les-paul' }).click();
    await page.getByRole('button', { name: 'Delete les-paul' }).click();
    await page.waitForURL(`${ui.url}/`);
    expect(await page.locator('.flash-success').textContent()).toBe(`Deleted les-paul from namespace ${NS}.`);
    expect(await row(page, 'les-paul').count()).toBe(0);
    await context.close();
  });

  it('shows what others wrote as text: no script runs from a brand or a comment', async () => {
    const brand = '<img src=x onerror=alert(1)>';
    const comment = '<script>alert(2)</script>';
    await createAsAdmin('xss', { brand, review: true, comment });
    const { context, page } = await newPage({ javaScriptEnabled: true });
    await page.goto(ui.url);
    expect(await row(page, 'xss').locator('.brand').textContent()).toBe(brand);
    expect(await row(page, 'xss').locator('.comment').textContent()).toBe(comment);
    expect(await page.locator('tbody img, tbody script').count()).toBe(0);
    // And after a live refresh, which goes through innerHTML.
    await reviewAs('xss', `${comment}!`);
    await expect.poll(() => row(page, 'xss').locator('.comment').textContent(), SETTLE).toBe(`${comment}!`);
    expect(await page.locator('tbody img, tbody script').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await deleteAsAdmin('xss');
    await context.close();
  });

  it('raised no Content-Security-Policy violation on any page', () => {
    expect(cspViolations).toEqual([]);
  });
});
