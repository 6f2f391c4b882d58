import { apiStatus, GROUP, PLURAL, VERSION } from '@guitars/shared';
import { Cluster } from '@guitars/testenv';
import { CustomObjectsApi } from '@kubernetes/client-node';
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

describe('the JSON API, run as the guitars-ui ServiceAccount', () => {
  let ui: UiApp;
  let client: TestClient;
  let ns: string;
  const admin = () => cluster.adminConfig().makeApiClient(CustomObjectsApi);
  const createAsAdmin = (name: string, spec: Record<string, unknown>) =>
    createGuitar(cluster.adminConfig(), ns, name, spec);

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('api');
    await createAsAdmin('telecaster', {
      brand: 'fender',
      review: true,
      comment: 'this is a great instrument',
    });
    await createAsAdmin('stratocaster', {
      brand: 'fender',
      review: true,
      comment: 'this is a great instrument',
    });
    await createAsAdmin('lespaul', { brand: 'epiphone' });
    await createAsAdmin('x003', { brand: 'yamaha', review: false });
    ui = await startTestUi(await uiServiceAccountConfig(cluster));
    client = new TestClient(ui.url);
  });

  afterAll(async () => {
    await ui?.stop();
  });

  it('lists every namespace (its ClusterRole allows it), sorted by brand then name', async () => {
    const response = await client.json('GET', `/api/guitars?namespace=${ns}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      items: Array<{
        name: string;
        brand: string;
        reviewed: boolean;
        comment: string | null;
        createdAt: string;
      }>;
      total: number;
      scope: unknown;
    };
    expect(body.scope).toEqual({ clusterWide: true });
    expect(body.total).toBe(4);
    expect(body.items.map((g) => `${g.brand}/${g.name}`)).toEqual([
      'epiphone/lespaul',
      'fender/stratocaster',
      'fender/telecaster',
      'yamaha/x003',
    ]);
    expect(body.items[1]).toMatchObject({ reviewed: true, comment: 'this is a great instrument' });
    expect(body.items[0]).toMatchObject({ reviewed: false, comment: null });
    expect(Date.parse(body.items[0]?.createdAt ?? '')).toBeGreaterThan(Date.now() - 600_000);
  });

  it('filters by brand (any case) and pages', async () => {
    const byBrand = (await (
      await client.json('GET', `/api/guitars?namespace=${ns}&brand=FENDER`)
    ).json()) as {
      items: Array<{ name: string }>;
    };
    expect(byBrand.items.map((g) => g.name)).toEqual(['stratocaster', 'telecaster']);

    const page2 = (await (
      await client.json('GET', `/api/guitars?namespace=${ns}&perPage=3&page=2`)
    ).json()) as {
      items: Array<{ name: string }>;
      page: number;
      pages: number;
      total: number;
    };
    expect(page2).toMatchObject({ page: 2, pages: 2, total: 4 });
    expect(page2.items.map((g) => g.name)).toEqual(['x003']);
  });

  it('answers 400 to a bad query parameter', async () => {
    const response = await client.json('GET', '/api/guitars?perPage=0');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toContain('perPage');
  });

  it('reads one guitar, and 404 for one that does not exist', async () => {
    const found = await client.json('GET', `/api/guitars/${ns}/lespaul`);
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({
      namespace: ns,
      name: 'lespaul',
      brand: 'epiphone',
      reviewed: false,
    });

    const missing = await client.json('GET', `/api/guitars/${ns}/nosuch`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ status: 404, message: expect.stringContaining('nosuch') });
  });

  it('creates a guitar: 201 with a Location, the name lower-cased, a review requested', async () => {
    const response = await client.json('POST', '/api/guitars', {
      name: ' D15 ',
      brand: ' martin ',
      namespace: ns,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/api/guitars/${ns}/d15`);
    expect(await response.json()).toMatchObject({
      namespace: ns,
      name: 'd15',
      brand: 'martin',
      reviewed: false,
    });

    const stored = (await admin().getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: ns,
      name: 'd15',
    })) as { spec: unknown };
    expect(stored.spec).toEqual({ brand: 'martin', review: false });

    // The cache has it by the time the 201 is sent: read-your-writes through the Location.
    const again = await client.json('GET', response.headers.get('location') ?? '');
    expect(again.status).toBe(200);
  });

  it('creates in its own namespace (guitarcenter) when none is given', async () => {
    const name = `default-${Date.now()}`;
    const response = await client.json('POST', '/api/guitars', { name, brand: 'gibson' });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/api/guitars/guitarcenter/${name}`);
    expect((await client.json('DELETE', `/api/guitars/guitarcenter/${name}`)).status).toBe(204);
  });

  it('answers 409 when the name exists, naming the field', async () => {
    const response = await client.json('POST', '/api/guitars', {
      name: 'lespaul',
      brand: 'gibson',
      namespace: ns,
    });
    expect(response.status).toBe(409);
    const body = (await response.json()) as { fields: Record<string, string> };
    expect(body.fields.name).toContain('already exists');
  });

  it.each([
    [
      'an invalid name',
      { name: 'les paul!', brand: 'gibson' },
      'name',
      "lower-case letters, digits, '-' and '.'",
    ],
    ['a name starting with a dash', { name: '-lespaul', brand: 'gibson' }, 'name', 'starting and ending'],
    ['a name of 254 characters', { name: 'a'.repeat(254), brand: 'gibson' }, 'name', 'at most 253'],
    ['a missing name', { brand: 'gibson' }, 'name', 'Enter a name'],
    ['a blank brand', { name: 'ok', brand: '   ' }, 'brand', 'Enter a brand'],
    ['a brand of 64 characters', { name: 'ok', brand: 'b'.repeat(64) }, 'brand', 'at most 63'],
    ['a brand that is not a string', { name: 'ok', brand: 42 }, 'brand', 'Must be a string'],
    [
      'an invalid namespace',
      { name: 'ok', brand: 'gibson', namespace: 'Not_A_Namespace' },
      'namespace',
      'lower-case',
    ],
  ])('answers 422 to %s, with a field-level message', async (_what, body, field, message) => {
    const response = await client.json('POST', '/api/guitars', { namespace: ns, ...body });
    expect(response.status).toBe(422);
    const json = (await response.json()) as { fields: Record<string, string> };
    expect(json.fields[field]).toContain(message);
  });

  it('accepts a name of exactly 253 characters', async () => {
    const name = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(name).toHaveLength(253);
    const response = await client.json('POST', '/api/guitars', { name, brand: 'gibson', namespace: ns });
    expect(response.status).toBe(201);
    expect((await client.json('DELETE', `/api/guitars/${ns}/${name}`)).status).toBe(204);
  });

  it('answers 422 naming the namespace field when the namespace does not exist', async () => {
    const response = await client.json('POST', '/api/guitars', {
      name: 'ok',
      brand: 'gibson',
      namespace: 'no-such-ns',
    });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { fields: Record<string, string> }).fields.namespace).toContain(
      'does not exist',
    );
  });

  it('answers 400 to malformed JSON and to JSON that is not an object', async () => {
    const malformed = await client.json('POST', '/api/guitars', '{"name": "x",');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { message: string }).message).toContain('not valid JSON');
    const array = await client.json('POST', '/api/guitars', '["x"]');
    expect(array.status).toBe(400);
  });

  it('answers 415 to a body that is not JSON (a cross-site form cannot post to the API)', async () => {
    const response = await client.request('/api/guitars', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `name=sneaky&brand=fender&namespace=${ns}`,
    });
    expect(response.status).toBe(415);
    expect((await client.json('GET', `/api/guitars/${ns}/sneaky`)).status).toBe(404);
  });

  it('answers 413 to a body over 16 KB', async () => {
    const response = await client.json('POST', '/api/guitars', {
      name: 'big',
      brand: 'x'.repeat(20_000),
      namespace: ns,
    });
    expect(response.status).toBe(413);
  });

  it('deletes: 204, then 404 for the same guitar', async () => {
    await createAsAdmin('todelete', { brand: 'guild' });
    const response = await client.json('DELETE', `/api/guitars/${ns}/todelete`);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect((await client.json('GET', `/api/guitars/${ns}/todelete`)).status).toBe(404);
    const gone = await admin()
      .getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: ns,
        name: 'todelete',
      })
      .catch((err: unknown) => err);
    expect(apiStatus(gone)).toBe(404);

    const again = await client.json('DELETE', `/api/guitars/${ns}/todelete`);
    expect(again.status).toBe(404);
  });

  it('answers 404 in JSON for an unknown API route', async () => {
    const response = await client.json('GET', '/api/nothing');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/json');
  });

  it('serves a short OpenAPI description of itself', async () => {
    const response = await client.json('GET', '/api/openapi.json');
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(['/api/guitars', '/api/guitars/{namespace}/{name}']);
    expect(Object.keys(doc.paths['/api/guitars'] ?? {})).toEqual(['get', 'post']);
  });
});
