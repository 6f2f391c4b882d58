import { API_VERSION, KIND } from '@guitars/shared';
import { Cluster } from '@guitars/testenv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { UiApp } from '../start.js';
import {
  createGuitar,
  prepareCluster,
  startTestUi,
  TestClient,
  uiServiceAccountConfig,
} from '../test-support/ui.js';

const cluster = new Cluster(inject('testenv'));

const XSS_BRAND = '<script>alert("brand")</script>';
const XSS_COMMENT = '<img src=x onerror="alert(\'comment\')">';

describe('the HTML pages, run as the guitars-ui ServiceAccount', () => {
  let ui: UiApp;
  let ns: string;
  const createAsAdmin = (name: string, spec: Record<string, unknown>) =>
    createGuitar(cluster.adminConfig(), ns, name, spec);
  const exists = async (name: string, namespace = ns) => {
    const result = await cluster.kubectl(['get', 'guitars', name, '-n', namespace, '-o', 'name']);
    return result.code === 0;
  };

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('pages');
    await createAsAdmin('stratocaster', {
      brand: 'fender',
      review: true,
      comment: 'this is a great instrument',
    });
    await createAsAdmin('lespaul', { brand: 'epiphone' });
    ui = await startTestUi(await uiServiceAccountConfig(cluster));
  });

  afterAll(async () => {
    await ui?.stop();
  });

  describe('the list', () => {
    it('shows each guitar with brand badge, name, namespace, review, status and age, sorted by brand', async () => {
      const { status, text, response } = await new TestClient(ui.url).get(`/?namespace=${ns}`);
      expect(status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      const rows = [...text.matchAll(/<tr data-key="([^"]+)">([\s\S]*?)<\/tr>/g)];
      expect(rows.map((r) => r[1])).toEqual([`${ns}/lespaul`, `${ns}/stratocaster`]);
      const [lespaul, strat] = rows.map((r) => r[2] ?? '');
      expect(lespaul).toMatch(/class="badge badge-\d+" aria-hidden="true">Ep</);
      expect(lespaul).toContain('awaiting review');
      expect(lespaul).toContain('>Pending<');
      expect(strat).toContain('this is a great instrument');
      expect(strat).toContain('>Reviewed<');
      expect(strat).toContain(`<td data-label="Namespace"><bdi>${ns}</bdi></td>`);
      expect(strat).toMatch(/<time datetime="[^"]+" title="[^"]+">\d+s<\/time>/);
      expect(text).toContain('2 guitars match the filter');
    });

    it('filters by brand, and says when nothing matches', async () => {
      const { text } = await new TestClient(ui.url).get(`/?namespace=${ns}&brand=Fender`);
      expect(text).toContain(`data-key="${ns}/stratocaster"`);
      expect(text).not.toContain(`data-key="${ns}/lespaul"`);
      const none = await new TestClient(ui.url).get(`/?namespace=${ns}&brand=nosuchbrand`);
      expect(none.text).toContain('No guitar matches this filter.');
    });

    it('pages through many guitars, keeping the filter in the links', async () => {
      const many = await cluster.createNamespace('many');
      const items = Array.from({ length: 55 }, (_, i) => ({
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name: `g${String(i).padStart(3, '0')}`, namespace: many },
        spec: { brand: 'ibanez' },
      }));
      await cluster.kubectlOk(['apply', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
      });
      const client = new TestClient(ui.url);
      await ui.store.waitUntil(() => ui.store.query({ namespace: many }).total === 55, 10_000);

      const first = await client.get(`/?namespace=${many}`);
      expect(first.text.match(/<tr data-key=/g)).toHaveLength(50);
      expect(first.text).toContain('page 1 of 2');
      expect(first.text).toContain(`href="/?namespace=${many}&amp;page=2"`);

      const second = await client.get(`/?namespace=${many}&page=2`);
      expect(second.text.match(/<tr data-key=/g)).toHaveLength(5);
      expect(second.text).toContain(`data-key="${many}/g054"`);
      expect(second.text).toContain(`href="/?namespace=${many}"`);
    });

    it('renders the live fragment alone, for live.js', async () => {
      const { status, text, response } = await new TestClient(ui.url).get(
        `/fragments/guitars?namespace=${ns}`,
      );
      expect(status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(text).not.toContain('<html');
      expect(text).toContain(`data-key="${ns}/lespaul"`);
    });

    it('escapes what others wrote: an XSS payload in a brand and a comment renders as text', async () => {
      await createAsAdmin('xss', { brand: XSS_BRAND, review: true, comment: XSS_COMMENT });
      await ui.store.waitUntil(() => ui.store.get(ns, 'xss') !== undefined, 5_000);
      const { text } = await new TestClient(ui.url).get(`/?namespace=${ns}`);
      expect(text).not.toContain(XSS_BRAND);
      expect(text).not.toContain('<img src=x');
      expect(text).toContain('&lt;script&gt;alert(&#34;brand&#34;)&lt;/script&gt;');
      expect(text).toContain('&lt;img src=x onerror=&#34;alert(&#39;comment&#39;)&#34;&gt;');
      // The brand filter's suggestions are escaped too (attribute context).
      expect(text).toContain('<option value="&lt;script&gt;alert(&#34;brand&#34;)&lt;/script&gt;">');
      // And the badge's monogram is built from letters only.
      expect(text).toMatch(/aria-hidden="true">Sc<\/span> <span class="brand"><bdi>&lt;script&gt;/);
    });
  });

  describe('adding a guitar', () => {
    it('offers a form with the known brands, a CSRF token and the default namespace', async () => {
      const { status, text } = await new TestClient(ui.url).get('/guitars/new');
      expect(status).toBe(200);
      expect(text).toMatch(/<input type="hidden" name="_csrf" value="[0-9a-f]{64}\.[0-9a-f]{64}">/);
      expect(text).toContain('<option value="fender">');
      expect(text).toContain('<option value="yamaha">');
      expect(text).toContain('name="namespace" value="guitarcenter"');
    });

    it('creates it, lower-casing the name, and shows the outcome after POST-redirect-GET', async () => {
      const client = new TestClient(ui.url);
      const response = await client.submit('/guitars/new', '/guitars', {
        name: 'Telecaster',
        brand: 'fender',
        namespace: ns,
      });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/');
      expect(await exists('telecaster')).toBe(true);

      const after = await client.get(`/?namespace=${ns}`);
      expect(after.text).toMatch(
        /class="flash flash-success" role="status">Added <bdi>telecaster<\/bdi> \(<bdi>fender<\/bdi>\) to namespace/,
      );
      expect(after.text).toContain(`data-key="${ns}/telecaster"`);
      // Shown once.
      expect((await client.get('/')).text).not.toContain('flash-success');
    });

    it('keeps what was typed and explains an invalid name next to the field (422)', async () => {
      const client = new TestClient(ui.url);
      const response = await client.submit('/guitars/new', '/guitars', {
        name: 'Les Paul "59"',
        brand: 'gibson',
        namespace: ns,
      });
      expect(response.status).toBe(422);
      const html = await response.text();
      expect(html).toContain('name="name" value="Les Paul &#34;59&#34;"');
      expect(html).toContain('aria-invalid="true"');
      expect(html).toMatch(/<p class="field-error" id="name-error">Use only lower-case letters/);
      expect(html).toContain('name="brand" value="gibson"');
      expect(await exists('les-paul')).toBe(false);
    });

    it('says so when the name is taken (409), keeping the form', async () => {
      const response = await new TestClient(ui.url).submit('/guitars/new', '/guitars', {
        name: 'lespaul',
        brand: 'gibson',
        namespace: ns,
      });
      expect(response.status).toBe(409);
      expect(await response.text()).toMatch(
        /id="name-error">A guitar named &#34;lespaul&#34; already exists/,
      );
    });

    it('refuses a POST without a CSRF token (403) and changes nothing', async () => {
      const client = new TestClient(ui.url);
      await client.get('/guitars/new');
      const response = await client.post('/guitars', { name: 'forged', brand: 'fender', namespace: ns });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('did not come from this site');
      expect(await exists('forged')).toBe(false);
    });

    it("refuses another browser's token (403): the token is bound to the cookie", async () => {
      const victim = new TestClient(ui.url);
      const token = /name="_csrf" value="([^"]+)"/.exec((await victim.get('/guitars/new')).text)?.[1] ?? '';
      const attacker = new TestClient(ui.url);
      await attacker.get('/guitars/new');
      const response = await attacker.post('/guitars', {
        _csrf: token,
        name: 'forged2',
        brand: 'fender',
        namespace: ns,
      });
      expect(response.status).toBe(403);
      expect(await exists('forged2')).toBe(false);
    });

    it('answers 413 to a form over 16 KB', async () => {
      const client = new TestClient(ui.url);
      const response = await client.submit('/guitars/new', '/guitars', {
        name: 'big',
        brand: 'x'.repeat(20_000),
      });
      expect(response.status).toBe(413);
      expect(await response.text()).toContain('too large');
    });
  });

  describe('deleting a guitar', () => {
    it('asks for confirmation, deletes on POST, and shows the outcome after the redirect', async () => {
      await createAsAdmin('d15', { brand: 'martin' });
      await ui.store.waitUntil(() => ui.store.get(ns, 'd15') !== undefined, 5_000);
      const client = new TestClient(ui.url);
      const list = await client.get(`/?namespace=${ns}`);
      const uid = ui.store.get(ns, 'd15')?.uid ?? '';
      expect(list.text).toContain(`href="/guitars/${ns}/d15/delete?uid=${uid}"`);

      const confirm = await client.get(`/guitars/${ns}/d15/delete`);
      expect(confirm.status).toBe(200);
      expect(confirm.text).toContain('<h1>Delete <bdi>d15</bdi>?</h1>');
      expect(confirm.text).toContain(`<input type="hidden" name="uid" value="${uid}">`);
      expect(confirm.text).toContain(
        `<form class="confirm" method="post" action="/guitars/${ns}/d15/delete">`,
      );
      expect(await exists('d15')).toBe(true);

      const response = await client.submit(`/guitars/${ns}/d15/delete`, `/guitars/${ns}/d15/delete`, {});
      expect(response.status).toBe(303);
      expect(await exists('d15')).toBe(false);
      const after = await client.get(`/?namespace=${ns}`);
      expect(after.text).toContain(`Deleted <bdi>d15</bdi> from namespace <bdi>${ns}</bdi>.`);
      expect(after.text).not.toContain(`data-key="${ns}/d15"`);
    });

    it('refuses a delete without a CSRF token (403)', async () => {
      const client = new TestClient(ui.url);
      await client.get('/');
      const response = await client.post(`/guitars/${ns}/stratocaster/delete`, {});
      expect(response.status).toBe(403);
      expect(await exists('stratocaster')).toBe(true);
    });

    it('answers 404 with a friendly page for a guitar that does not exist', async () => {
      const client = new TestClient(ui.url);
      const page = await client.get(`/guitars/${ns}/nosuch/delete`);
      expect(page.status).toBe(404);
      expect(page.text).toContain('There is no guitar &#34;nosuch&#34;');
      await client.get('/');
      const token = /name="_csrf" value="([^"]+)"/.exec((await client.get('/guitars/new')).text)?.[1] ?? '';
      const post = await client.post(`/guitars/${ns}/nosuch/delete`, { _csrf: token, uid: 'any' });
      expect(post.status).toBe(404);
    });
  });

  it('answers an unknown page with a friendly 404 page', async () => {
    const { status, text } = await new TestClient(ui.url).get('/no/such/page');
    expect(status).toBe(404);
    expect(text).toContain('<h1>Not found</h1>');
    expect(text).toContain('Back to the guitars');
  });
});
