// Issue 23, "nothing leaked": a brand reads as it is. Invisible format characters (a right-to-left
// override, zero-width spaces) are refused by the UI and by the CRD itself; guitars stored before
// the CRD refused them stay listed, reviewable, and render isolated (<bdi>), so their direction
// cannot reorder the page around them. A control plane of its own: the CRD starts at its old
// revision, as on a cluster being upgraded.
import {
  apiMessage,
  apiStatus,
  CRD_REVISION_ANNOTATION,
  connect,
  ensureGuitarCrd,
  GROUP,
  guitarCrd,
  PLURAL,
  VERSION,
} from '@guitars/shared';
import { type ControlPlane, startControlPlane } from '@guitars/testenv';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UiApp } from '../start.js';
import {
  createGuitar,
  createGuitarWhenServed,
  reviewAsController,
  startTestUi,
  TestClient,
} from '../test-support/ui.js';

/** One of each kind of invisible formatting character, inside a brand, with its name. */
const FORMAT_BRANDS: Array<[string, string]> = [
  ['fen\u202eder', 'U+202E RIGHT-TO-LEFT OVERRIDE'],
  ['fen\u202ader', 'U+202A LEFT-TO-RIGHT EMBEDDING'],
  ['fen\u2067der', 'U+2067 RIGHT-TO-LEFT ISOLATE'],
  ['fen\u200fder', 'U+200F RIGHT-TO-LEFT MARK'],
  ['fen\u061cder', 'U+061C ARABIC LETTER MARK'],
  ['fen\u200bder', 'U+200B ZERO WIDTH SPACE'],
  ['fen\u200dder', 'U+200D ZERO WIDTH JOINER'],
  ['fen\u2060der', 'U+2060 WORD JOINER'],
  ['fen\ufeffder', 'U+FEFF ZERO WIDTH NO-BREAK SPACE'],
  ['fen\u00adder', 'U+00AD SOFT HYPHEN'],
];
const RLO_BRAND = 'fen\u202eredneg';
const RLO_COMMENT = 'nice \u202eecaf';

describe('brands that read as they are (issue 23)', () => {
  let plane: ControlPlane;
  let ui: UiApp;
  const ns = 'bidi';
  const admin = () => plane.adminConfig();

  /** The guitar as the apiserver has it; undefined when there is none. */
  const stored = async (name: string) => {
    try {
      return (await admin().makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: ns,
        name,
      })) as { spec: { brand: string; review?: boolean; comment?: string } };
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  };

  beforeAll(async () => {
    plane = await startControlPlane({ log: () => {} });
    // The CRD as revision 2 had it: control characters refused, format characters not.
    const old = guitarCrd();
    const brand = old.spec.versions[0]?.schema?.openAPIV3Schema?.properties?.spec?.properties?.brand;
    if (!brand?.pattern) throw new Error('the CRD has no pattern on spec.brand');
    brand.pattern = '^\\P{Cc}*$';
    old.metadata = { ...old.metadata, annotations: { [CRD_REVISION_ANNOTATION]: '2' } };
    const kube = connect(admin());
    await kube.crds.create(old).finally(() => kube.close());
    await plane.ensureNamespace(ns);
    await createGuitarWhenServed(admin(), ns, 'rlo', { brand: RLO_BRAND });
    await createGuitar(admin(), ns, 'zwsp', { brand: 'fen\u200bder' });
    await createGuitar(admin(), ns, 'commented', { brand: 'fender', review: true, comment: RLO_COMMENT });
    // Then upgraded, as a controller of this version does at start.
    expect(await ensureGuitarCrd(admin())).toBe('updated');
    ui = await startTestUi(admin());
    await ui.store.waitUntil(() => ui.store.get(ns, 'commented') !== undefined, 10_000);
  }, 180_000);

  afterAll(async () => {
    await ui?.stop();
    await plane?.stop();
  });

  describe('the CRD, through the apiserver (not the UI)', () => {
    it.each(FORMAT_BRANDS)('refuses the brand %j (%s), and stores nothing', async (brand) => {
      const err = await createGuitar(admin(), ns, 'refused', { brand }).catch((e: unknown) => e);
      expect(apiStatus(err)).toBe(422);
      expect(apiMessage(err)).toMatch(/spec\.brand.*should match/);
      expect(await stored('refused')).toBeUndefined();
    });

    it('lets the controller review a guitar stored before, its brand unchanged (ratcheting)', async () => {
      await reviewAsController(admin(), ns, 'rlo', 'nobody knows this brand');
      expect((await stored('rlo'))?.spec).toEqual({
        brand: RLO_BRAND,
        review: true,
        comment: 'nobody knows this brand',
      });
      await ui.store.waitUntil(() => ui.store.get(ns, 'rlo')?.reviewed === true, 10_000);
    });

    it('refuses to change such a brand into another with a format character', async () => {
      const err = await admin()
        .makeApiClient(CustomObjectsApi)
        .patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            plural: PLURAL,
            namespace: ns,
            name: 'zwsp',
            body: { spec: { brand: 'gib\u200bson' } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        )
        .catch((e: unknown) => e);
      expect(apiStatus(err)).toBe(422);
      expect((await stored('zwsp'))?.spec.brand).toBe('fen\u200bder');
    });
  });

  describe('the UI', () => {
    it.each(FORMAT_BRANDS)('refuses the brand %j through the API (422), naming %s', async (brand, label) => {
      const response = await fetch(`${ui.url}/api/guitars`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ name: 'refused', brand, namespace: ns }),
      });
      expect(response.status).toBe(422);
      const body = (await response.json()) as { fields?: { brand?: string } };
      expect(body.fields?.brand).toContain(`an invisible formatting character (${label})`);
      expect(await stored('refused')).toBeUndefined();
    });

    it('refuses it through the form too, next to the field', async () => {
      const response = await new TestClient(ui.url).submit('/guitars/new', '/guitars', {
        name: 'refused',
        brand: RLO_BRAND,
        namespace: ns,
      });
      expect(response.status).toBe(422);
      expect(await response.text()).toContain('(U+202E RIGHT-TO-LEFT OVERRIDE)');
      expect(await stored('refused')).toBeUndefined();
    });

    it('lists the guitars stored before, brands intact in JSON', async () => {
      const list = (await (await fetch(`${ui.url}/api/guitars?namespace=${ns}`)).json()) as {
        items: Array<{ name: string; brand: string }>;
      };
      expect(Object.fromEntries(list.items.map((g) => [g.name, g.brand]))).toEqual({
        rlo: RLO_BRAND,
        zwsp: 'fen\u200bder',
        commented: 'fender',
      });
    });

    it('renders brands and comments isolated (<bdi>) on the list, its live fragment and the delete page', async () => {
      const client = new TestClient(ui.url);
      for (const path of [`/?namespace=${ns}`, `/fragments/guitars?namespace=${ns}`]) {
        const page = await client.get(path);
        expect(page.status).toBe(200);
        expect(page.text, path).toContain(`<span class="brand"><bdi>${RLO_BRAND}</bdi></span>`);
        expect(page.text, path).toContain('<span class="brand"><bdi>fen\u200bder</bdi></span>');
        expect(page.text, path).toContain(
          `<td data-label="Review" class="comment"><bdi>${RLO_COMMENT}</bdi></td>`,
        );
        // Not one of them outside a <bdi>.
        expect(page.text.replace(/<bdi>[^<]*<\/bdi>/g, ''), path).not.toMatch(/[\u202e\u200b]/);
      }
      const confirm = await client.get(`/guitars/${ns}/rlo/delete`);
      expect(confirm.text).toContain(`(<bdi>${RLO_BRAND}</bdi>)`);
      expect(confirm.text.replace(/<bdi>[^<]*<\/bdi>/g, '')).not.toContain('\u202e');
    });

    it('isolates the brand in the flash message after an add', async () => {
      const client = new TestClient(ui.url);
      const created = await client.submit('/guitars/new', '/guitars', {
        name: 'hebrew',
        brand: 'גיבסון',
        namespace: ns,
      });
      expect(created.status).toBe(303);
      expect((await client.get('/')).text).toContain(
        `Added <bdi>hebrew</bdi> (<bdi>גיבסון</bdi>) to namespace <bdi>${ns}</bdi>`,
      );
    });
  });
});
