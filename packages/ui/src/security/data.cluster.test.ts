// Issue 11 §5, as the attacker: what a brand can hold, and how the UI filters, sorts and pages the
// guitars it shows, against the real apiserver (and kubectl) and the real server.
import {
  API_VERSION,
  apiMessage,
  apiStatus,
  CRD_REVISION_ANNOTATION,
  connect,
  ensureGuitarCrd,
  GROUP,
  guitarCrd,
  KIND,
  PLURAL,
  VERSION,
} from '@guitars/shared';
import { Cluster, type ControlPlane, startControlPlane } from '@guitars/testenv';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { UiApp } from '../start.js';
import { rawRequest } from '../test-support/raw-http.js';
import {
  createGuitar,
  createGuitarWhenServed,
  prepareCluster,
  reviewAsController,
  startTestUi,
  TestClient,
} from '../test-support/ui.js';

const cluster = new Cluster(inject('testenv'));

/** Brands with a control character: each could fake a line in a log or a table. */
const CONTROL_BRANDS = [
  'fen\u0000der',
  'gibson\nmartin',
  '\u001b[31mred',
  'tab\there',
  'del\u007f',
  'c1\u0085',
];

interface ListBody {
  items: Array<{ name: string; brand: string; namespace: string }>;
  total: number;
  page: number;
  pages: number;
}

describe('spec.brand refuses control characters (the CRD pattern)', () => {
  let ns: string;

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('brands');
  });

  it.each(CONTROL_BRANDS)('the apiserver refuses the brand %j, saying why', async (brand) => {
    const err = await createGuitar(cluster.adminConfig(), ns, 'bad', { brand }).catch((e: unknown) => e);
    expect(apiStatus(err)).toBe(422);
    expect(apiMessage(err)).toMatch(/spec\.brand.*should match/);
  });

  it('kubectl apply is refused too, and nothing is stored', async () => {
    const result = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name: 'bad' },
        spec: { brand: 'a\nb' },
      }),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/spec\.brand.*should match/);
    expect((await cluster.kubectl(['get', 'guitars', '-n', ns, '-o', 'name'])).stdout).toBe('');
  });

  it.each(['fender', 'Gibson & Co. <Custom>', ' spaced ', 'ギブソン', 'Ibañez', '🎸', 'a\u00a0b'])(
    'still accepts the brand %j',
    async (brand) => {
      const name = `ok-${Buffer.from(brand).toString('hex').slice(0, 40)}`;
      await createGuitar(cluster.adminConfig(), ns, name, { brand });
      const stored = (await cluster.adminConfig().makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: ns,
        name,
      })) as {
        spec: { brand: string };
      };
      expect(stored.spec.brand).toBe(brand);
    },
  );
});

describe('the brand filter and the sort read the brand as the controller does', () => {
  let ui: UiApp;
  let ns: string;

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('filter');
    const admin = cluster.adminConfig();
    await createGuitar(admin, ns, 'lespaul', { brand: '  GIBSON ' });
    await createGuitar(admin, ns, 'sg', { brand: 'gibson' });
    await createGuitar(admin, ns, 'strat', { brand: 'fender' });
    await createGuitar(admin, ns, 'tele', { brand: 'Fender' });
    await createGuitar(admin, ns, 'x003', { brand: 'yamaha' });
    ui = await startTestUi(admin);
  });

  afterAll(async () => {
    await ui?.stop();
  });

  const list = async (query: string) => {
    const response = await rawRequest(ui.url, `/api/guitars?namespace=${ns}&${query}`);
    return { status: response.status, body: JSON.parse(response.body) as ListBody };
  };

  it('sorts " GIBSON " with gibson, by name, as the controller reads it', async () => {
    const { body } = await list('');
    expect(body.items.map((g) => `${g.brand}/${g.name}`)).toEqual([
      'fender/strat',
      'Fender/tele',
      '  GIBSON /lespaul',
      'gibson/sg',
      'yamaha/x003',
    ]);
  });

  it('finds " GIBSON " under gibson, in any case and with spaces around the filter', async () => {
    for (const brand of ['gibson', 'GIBSON', '%20Gibson%20%20']) {
      const { body } = await list(`brand=${brand}`);
      expect(
        body.items.map((g) => g.name),
        brand,
      ).toEqual(['lespaul', 'sg']);
    }
  });

  it('matches the brand only: no separator lets a filter reach into the name', async () => {
    // A sort key of brand + NUL + name once let "fender<NUL>strat" find fender's strat.
    for (const brand of ['fender%00strat', 'fender%00', 'fender%01', `fender%00strat%00${ns}`, 'fen']) {
      const { status, body } = await list(`brand=${brand}`);
      expect(status).toBe(200);
      expect(body, brand).toMatchObject({ total: 0, items: [] });
    }
    const page = await new TestClient(ui.url).get(`/?namespace=${ns}&brand=fender%00strat`);
    expect(page.text).toContain('No guitar matches this filter.');
  });

  it('answers a page past the last one with 404 in the API, saying how many there are', async () => {
    expect((await list('perPage=2&page=3')).body).toMatchObject({ page: 3, pages: 3, total: 5 });
    for (const page of ['4', '99', '9007199254740991']) {
      const response = await rawRequest(ui.url, `/api/guitars?namespace=${ns}&perPage=2&page=${page}`);
      expect(response.status, page).toBe(404);
      expect(JSON.parse(response.body)).toMatchObject({
        status: 404,
        message: `There is no page ${page}: 5 guitars match, on 3 page(s) of 2.`,
      });
    }
    // Filtered to nothing: page 1 exists (empty), page 2 does not.
    expect((await list('brand=nobody')).body).toMatchObject({ total: 0, page: 1, pages: 1 });
    expect((await list('brand=nobody&page=2')).status).toBe(404);
  });

  it('says so on the HTML page (404) and in the live fragment, linking to the last page', async () => {
    const client = new TestClient(ui.url);
    const many = await cluster.createNamespace('pages');
    for (let i = 0; i < 51; i++)
      await createGuitar(cluster.adminConfig(), many, `g${i}`, { brand: 'fender' });
    await ui.store.waitUntil(() => ui.store.query({ namespace: many }).total === 51, 10_000);

    const past = await client.get(`/?namespace=${many}&page=7`);
    expect(past.status).toBe(404);
    expect(past.text).toContain('There is no page 7: the list has 2 pages.');
    expect(past.text).toContain(`<a href="/?namespace=${many}&amp;page=2">Go to the last page</a>`);
    expect(past.text).not.toContain('<tr data-key=');
    expect(past.text).not.toContain('page 7 of 2');

    const fragment = await client.get(`/fragments/guitars?namespace=${many}&page=7`);
    expect(fragment.status).toBe(200);
    expect(fragment.text).toContain('There is no page 7: the list has 2 pages.');

    const last = await client.get(`/?namespace=${many}&page=2`);
    expect(last.status).toBe(200);
    expect([...last.text.matchAll(/<tr data-key=/g)]).toHaveLength(1);
  });
});

describe('guitars stored before the pattern stay readable (a control plane of its own)', () => {
  let plane: ControlPlane;
  let ui: UiApp;
  const ns = 'legacy';

  beforeAll(async () => {
    plane = await startControlPlane({ log: () => {} });
    const admin = plane.adminConfig();
    // The CRD as it was: no pattern on spec.brand, an older revision.
    const old = guitarCrd();
    const brandSchema = old.spec.versions[0]?.schema?.openAPIV3Schema?.properties?.spec?.properties?.brand;
    if (!brandSchema?.pattern) throw new Error('the CRD has no pattern on spec.brand');
    delete brandSchema.pattern;
    old.metadata = { ...old.metadata, annotations: { [CRD_REVISION_ANNOTATION]: '1' } };
    const kube = connect(admin);
    await kube.crds.create(old).finally(() => kube.close());
    await plane.ensureNamespace(ns);
    await createGuitarWhenServed(admin, ns, 'nul', { brand: 'fen\u0000der' });
    await createGuitar(admin, ns, 'newline', { brand: 'gibson\n<b>x</b>' });
    await createGuitar(admin, ns, 'escape', { brand: '\u001b[31mred' });
    await createGuitar(admin, ns, 'plain', { brand: 'fender' });
    // Then upgraded, as a controller of this version does at start.
    expect(await ensureGuitarCrd(admin)).toBe('updated');
    ui = await startTestUi(admin);
  }, 180_000);

  afterAll(async () => {
    await ui?.stop();
    await plane?.stop();
  });

  it('the upgraded CRD refuses a new one', async () => {
    const err = await createGuitar(plane.adminConfig(), ns, 'new', { brand: 'a\u0000b' }).catch(
      (e: unknown) => e,
    );
    expect(apiStatus(err)).toBe(422);
  });

  it('lists, filters and renders them, characters intact in JSON and escaped in HTML', async () => {
    const api = await rawRequest(ui.url, `/api/guitars?namespace=${ns}`);
    expect(api.status).toBe(200);
    const body = JSON.parse(api.body) as ListBody;
    expect(body.items.map((g) => [g.name, g.brand])).toEqual([
      ['escape', '\u001b[31mred'],
      ['nul', 'fen\u0000der'],
      ['plain', 'fender'],
      ['newline', 'gibson\n<b>x</b>'],
    ]);
    // The filter matches a brand exactly: fender is not "fen<NUL>der", and that one finds itself.
    const filtered = async (brand: string) =>
      (
        JSON.parse((await rawRequest(ui.url, `/api/guitars?namespace=${ns}&brand=${brand}`)).body) as ListBody
      ).items.map((g) => g.name);
    expect(await filtered('fender')).toEqual(['plain']);
    expect(await filtered('fen%00der')).toEqual(['nul']);
    expect(await filtered('fen')).toEqual([]);

    const page = await new TestClient(ui.url).get(`/?namespace=${ns}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('gibson\n&lt;b&gt;x&lt;/b&gt;');
    expect(page.text).not.toContain('<b>x</b>');
    expect((await rawRequest(ui.url, `/api/guitars/${ns}/nul`)).status).toBe(200);
  });

  it('can still be reviewed: an update that leaves the brand alone passes (ratcheting)', async () => {
    await reviewAsController(plane.adminConfig(), ns, 'nul', 'nobody knows this brand');
    await ui.store.waitUntil(() => ui.store.get(ns, 'nul')?.reviewed === true, 10_000);
    expect(ui.store.get(ns, 'nul')).toMatchObject({ brand: 'fen\u0000der', reviewed: true });
  });
});
