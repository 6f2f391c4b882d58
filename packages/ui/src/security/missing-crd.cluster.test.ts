// Issue 23, "nothing lost": with the Guitar CRD missing, a create or a delete is not a "no such
// guitar" (404) but a 503 saying what is wrong and how to fix it, and the cluster is unchanged.
// A control plane of its own: the shared one has the CRD, which other test files use meanwhile.
import { CRD_NAME, ensureGuitarCrd } from '@guitars/shared';
import { type ControlPlane, startControlPlane } from '@guitars/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UiApp } from '../start.js';
import {
  eventually,
  guitarNames,
  startTestUi,
  TestClient,
  uiServiceAccountConfig,
} from '../test-support/ui.js';

const MISSING = `The Guitar CRD (${CRD_NAME}) is not installed in the cluster`;

describe('the Guitar CRD is missing (a control plane of its own)', () => {
  let plane: ControlPlane;
  let ui: UiApp;
  let client: TestClient;
  const ns = 'shop';

  /** What the cluster holds of guitars: the CRD (absent) and, through kubectl, any guitar type. */
  const crdPresent = async () => (await plane.kubectl(['get', 'crd', CRD_NAME, '-o', 'name'])).code === 0;

  beforeAll(async () => {
    plane = await startControlPlane({ log: () => {} });
    await plane.ensureNamespace(ns);
    // The UI as it is deployed: its own ServiceAccount and RBAC, which name guitars all the same.
    ui = await startTestUi(await uiServiceAccountConfig(plane), { waitReady: false });
    client = new TestClient(ui.url);
  }, 180_000);

  afterAll(async () => {
    await ui?.stop();
    await plane?.stop();
  });

  it('says why it is not ready in /readyz: the CRD, not an unreachable cluster', async () => {
    await eventually('/readyz to name the CRD', async () => {
      const readyz = await fetch(`${ui.url}/readyz`);
      return readyz.status === 503 && (await readyz.text()).includes(MISSING);
    });
  });

  it('answers a create through the API with 503 naming the CRD and the fix; nothing is created', async () => {
    const response = await client.json('POST', '/api/guitars', {
      name: 'strat',
      brand: 'fender',
      namespace: ns,
    });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { message: string };
    expect(body.message).toContain(MISSING);
    expect(body.message).toContain('k8s/base/crd.yaml');
    expect(await crdPresent()).toBe(false);
  });

  it('answers the add form with a 503 page saying the same, what was typed kept', async () => {
    const response = await client.submit('/guitars/new', '/guitars', {
      name: 'lespaul',
      brand: 'gibson',
      namespace: ns,
    });
    expect(response.status).toBe(503);
    const html = await response.text();
    expect(html).toContain(MISSING);
    expect(html).toContain('value="lespaul"');
    expect(await crdPresent()).toBe(false);
  });

  it('answers deletes, through the API and the form, with 503 and not "there is no guitar"', async () => {
    const api = await client.json('DELETE', `/api/guitars/${ns}/strat`);
    expect(api.status).toBe(503);
    expect(((await api.json()) as { message: string }).message).toContain(MISSING);
    // The delete page reads the guitar it would show from the apiserver (the cache holds none).
    const page = await client.get(`/guitars/${ns}/strat/delete`);
    expect(page.status).toBe(503);
    expect(page.text).toContain(MISSING);
    expect(page.text).not.toContain('There is no guitar');
    // A form shown before the CRD went (its uid kept), posted now with a valid CSRF pair.
    const form = await client.submit('/guitars/new', `/guitars/${ns}/strat/delete`, { uid: 'shown-before' });
    expect(form.status).toBe(503);
    const html = await form.text();
    expect(html).toContain(MISSING);
    expect(html).not.toContain('There is no guitar');
    expect(await crdPresent()).toBe(false);
  });

  it('creates once the CRD is installed: the 503 was the missing type, and nothing was stored before', async () => {
    await ensureGuitarCrd(plane.adminConfig());
    // The UI's cache lists guitars once the new type is served (its storage starts just after).
    expect(await ui.store.waitUntil(() => ui.store.synced(), 30_000)).toBe(true);
    expect((await fetch(`${ui.url}/readyz`)).status).toBe(200);
    expect(await guitarNames(plane.adminConfig(), ns)).toEqual([]);
    const created = await client.json('POST', '/api/guitars', {
      name: 'strat',
      brand: 'fender',
      namespace: ns,
    });
    expect(created.status).toBe(201);
    // A guitar that is not there is a 404 again, not the CRD's 503.
    const gone = await client.json('DELETE', `/api/guitars/${ns}/nosuch`);
    expect(gone.status).toBe(404);
    expect(await guitarNames(plane.adminConfig(), ns)).toEqual(['strat']);
  });
});
