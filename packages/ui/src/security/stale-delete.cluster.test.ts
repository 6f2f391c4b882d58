// Issue 23, "nothing lost": a delete carries what the user saw. Between showing a guitar and
// deleting it, another client deletes it and creates another under the same name (or changes it);
// the UI's form and its API must then delete nothing, say so, and leave the new guitar alone. Every
// verdict is read from the apiserver, not from the UI's cache.
import { GROUP, PLURAL, VERSION } from '@guitars/shared';
import { Cluster } from '@guitars/testenv';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { UiApp } from '../start.js';
import {
  createGuitar,
  csrfTokenIn,
  deleteGuitar,
  hiddenFieldsIn,
  prepareCluster,
  reviewAsController,
  startTestUi,
  TestClient,
  uiServiceAccountConfig,
} from '../test-support/ui.js';

const cluster = new Cluster(inject('testenv'));

interface Stored {
  uid: string;
  resourceVersion: string;
  brand: string;
}

describe('a delete deletes only the guitar that was shown (issue 23)', () => {
  let ui: UiApp;
  let ns: string;
  const admin = () => cluster.adminConfig();

  /** The guitar as the apiserver has it now; undefined once it is gone. */
  const stored = async (name: string): Promise<Stored | undefined> => {
    try {
      const obj = (await admin().makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: ns,
        name,
      })) as { metadata: { uid: string; resourceVersion: string }; spec: { brand: string } };
      return { uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, brand: obj.spec.brand };
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  };

  /** Creates a guitar as another client would and waits until the UI's cache holds that object. */
  const create = async (name: string, brand: string): Promise<Stored> => {
    await createGuitar(admin(), ns, name, { brand });
    const now = (await stored(name)) as Stored;
    await ui.store.waitUntil(() => ui.store.get(ns, name)?.uid === now.uid, 10_000);
    return now;
  };

  /** Another client deletes the guitar and creates a new one under its name: another uid. */
  const replace = async (name: string, brand: string): Promise<Stored> => {
    await deleteGuitar(admin(), ns, name);
    return create(name, brand);
  };

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('stale');
    // The UI as it runs in the cluster: its ServiceAccount and k8s/base/ui-rbac.yaml.
    ui = await startTestUi(await uiServiceAccountConfig(cluster));
  });

  afterAll(async () => {
    await ui?.stop();
  });

  describe('the delete form', () => {
    it('still deletes the guitar its page showed', async () => {
      const shown = await create('happy', 'fender');
      const client = new TestClient(ui.url);
      const page = await client.get(`/guitars/${ns}/happy/delete`);
      expect(hiddenFieldsIn(page.text).uid).toBe(shown.uid);
      const response = await client.submit(`/guitars/${ns}/happy/delete`, `/guitars/${ns}/happy/delete`, {});
      expect(response.status).toBe(303);
      expect(await stored('happy')).toBeUndefined();
    });

    it('deletes nothing when the guitar was deleted and created again since the page showed it (409)', async () => {
      const fender = await create('x', 'fender');
      const client = new TestClient(ui.url);
      const page = await client.get(`/guitars/${ns}/x/delete`);
      expect(page.text).toContain('(<bdi>fender</bdi>)');
      const form = hiddenFieldsIn(page.text);
      expect(form.uid).toBe(fender.uid);

      const gibson = await replace('x', 'gibson');
      const response = await client.post(`/guitars/${ns}/x/delete`, form);
      const text = await response.text();

      expect(response.status).toBe(409);
      expect(text).toContain('has changed since it was shown');
      expect(text).toContain('nothing was deleted');
      // The new one, read live, is shown for a fresh decision, with its own uid in the form.
      expect(text).toContain('(<bdi>gibson</bdi>)');
      expect(hiddenFieldsIn(text).uid).toBe(gibson.uid);
      expect(text).toContain('href="/"');
      expect(await stored('x')).toEqual(gibson);

      // Confirmed on that page, the new one goes.
      const again = await client.post(`/guitars/${ns}/x/delete`, hiddenFieldsIn(text));
      expect(again.status).toBe(303);
      expect(await stored('x')).toBeUndefined();
    });

    it('refuses a form without the uid (400), whatever guitar has the name', async () => {
      const kept = await create('no-uid', 'martin');
      const client = new TestClient(ui.url);
      const token = csrfTokenIn((await client.get(`/guitars/${ns}/no-uid/delete`)).text) ?? '';
      const forms: Array<Record<string, string>> = [{ _csrf: token }, { _csrf: token, uid: '' }];
      for (const fields of forms) {
        const response = await client.post(`/guitars/${ns}/no-uid/delete`, fields);
        expect(response.status).toBe(400);
        expect(await response.text()).toContain('Open the delete page again');
      }
      expect(await stored('no-uid')).toEqual(kept);
    });

    it('warns on the delete page when the list showed a guitar since replaced', async () => {
      await create('listed', 'fender');
      const client = new TestClient(ui.url);
      const list = await client.get(`/?namespace=${ns}`);
      const href = /href="(\/guitars\/[^/]+\/listed\/delete\?uid=[^"]+)"/.exec(list.text)?.[1];
      expect(href).toBeDefined();

      const same = await client.get(href ?? '');
      expect(same.text).not.toContain('This is not the guitar the list showed you');

      const gibson = await replace('listed', 'gibson');
      const page = await client.get(href ?? '');
      expect(page.status).toBe(200);
      expect(page.text).toContain('This is not the guitar the list showed you');
      expect(page.text).toContain('(<bdi>gibson</bdi>)');
      expect(hiddenFieldsIn(page.text).uid).toBe(gibson.uid);
    });
  });

  describe('the API with If-Match', () => {
    const request = (method: string, name: string, headers: Record<string, string> = {}) =>
      fetch(`${ui.url}/api/guitars/${ns}/${name}`, {
        method,
        headers: { accept: 'application/json', ...headers },
      });

    it('GET returns uid and resourceVersion, and the resourceVersion as a strong ETag', async () => {
      const now = await create('etag', 'fender');
      const response = await request('GET', 'etag');
      expect(response.status).toBe(200);
      expect(response.headers.get('etag')).toBe(`"${now.resourceVersion}"`);
      expect(await response.json()).toMatchObject({ uid: now.uid, resourceVersion: now.resourceVersion });
      const list = (await (await fetch(`${ui.url}/api/guitars?namespace=${ns}&brand=fender`)).json()) as {
        items: Array<{ name: string; uid: string; resourceVersion: string }>;
      };
      expect(list.items.find((g) => g.name === 'etag')).toMatchObject({
        uid: now.uid,
        resourceVersion: now.resourceVersion,
      });
    });

    it('deletes with the ETag it read (204)', async () => {
      await create('matching', 'fender');
      const etag = (await request('GET', 'matching')).headers.get('etag') ?? '';
      expect((await request('DELETE', 'matching', { 'if-match': etag })).status).toBe(204);
      expect(await stored('matching')).toBeUndefined();
    });

    it('answers 412 and deletes nothing when the guitar was deleted and created again since', async () => {
      await create('y', 'fender');
      const etag = (await request('GET', 'y')).headers.get('etag') ?? '';
      const gibson = await replace('y', 'gibson');

      const response = await request('DELETE', 'y', { 'if-match': etag });
      expect(response.status).toBe(412);
      expect(await response.json()).toEqual({
        status: 412,
        message: expect.stringContaining(`The guitar "y" in namespace "${ns}" has changed since it was read`),
      });
      expect(await stored('y')).toEqual(gibson);
    });

    it('answers 412 and deletes nothing when the guitar was changed since (a review)', async () => {
      const before = await create('reviewed', 'fender');
      const etag = (await request('GET', 'reviewed')).headers.get('etag') ?? '';
      await reviewAsController(admin(), ns, 'reviewed', 'a fine guitar');
      const after = (await stored('reviewed')) as Stored;
      expect(after.resourceVersion).not.toBe(before.resourceVersion);

      expect((await request('DELETE', 'reviewed', { 'if-match': etag })).status).toBe(412);
      expect(await stored('reviewed')).toEqual(after);
    });

    it('deletes whatever guitar has the name with If-Match: *, and without If-Match, as before', async () => {
      await create('any', 'fender');
      await replace('any', 'gibson');
      expect((await request('DELETE', 'any', { 'if-match': '*' })).status).toBe(204);
      expect(await stored('any')).toBeUndefined();
      await create('plain', 'fender');
      expect((await request('DELETE', 'plain')).status).toBe(204);
      expect(await stored('plain')).toBeUndefined();
    });

    it('deletes nothing for an If-Match it cannot check: 412 for a weak tag, 400 for the rest', async () => {
      const kept = await create('odd', 'fender');
      const current = `"${kept.resourceVersion}"`;
      const cases: Array<[string, number]> = [
        [`W/${current}`, 412],
        ['""', 412],
        [`${current}, "1"`, 400],
        [`"1", ${current}`, 400],
        [`*, ${current}`, 400],
        [kept.resourceVersion, 400],
        ['garbage "x"', 400],
        ['', 400],
      ];
      for (const [ifMatch, status] of cases) {
        const response = await request('DELETE', 'odd', { 'if-match': ifMatch });
        const body = (await response.json()) as { status: number; message: string };
        expect({ ifMatch, status: response.status }).toEqual({ ifMatch, status });
        expect(body.message).toMatch(/never matches|Nothing was deleted|nothing was deleted/);
        expect(await stored('odd'), ifMatch).toEqual(kept);
      }
    });
  });
});
