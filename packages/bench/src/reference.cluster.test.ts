import { ensureGuitarCrd, REVIEWED_BRAND_ANNOTATION } from '@guitars/shared';
import { Cluster, waitFor } from '@guitars/testenv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createGuitars, pooledAdmin } from './guitars.js';
import { buildReference, type ReferenceProcess, startReference } from './reference.js';

const cluster = new Cluster(inject('testenv'));
const kc = pooledAdmin(cluster);

// What k8s/base/review-policy.yaml says of the bench's brands (BRANDS in guitars.ts).
const GREAT = 'this is a great instrument';
const POOR = 'this instrument is not one we would recommend';
const EXPECTED: Record<string, string> = {
  fender: GREAT,
  gibson: GREAT,
  martin: GREAT,
  ibanez: GREAT,
  squier: GREAT,
  epiphone: POOR,
  yamaha: POOR,
  taylor: POOR,
  nobrand: 'nobody knows this brand',
};

interface Listed {
  items: Array<{
    metadata: { name: string; generation: number; annotations?: Record<string, string> };
    spec: { brand: string; review?: boolean; comment?: string };
  }>;
}

describe('the client-go reference controller', () => {
  let binary: string;
  let reference: ReferenceProcess | undefined;
  beforeAll(async () => {
    await ensureGuitarCrd(cluster.adminConfig());
    // Built from the Go module proxy the first time (a minute or two), cached after.
    binary = await buildReference(() => {});
  }, 600_000);
  afterAll(() => reference?.stop());

  it('reviews a backlog as the controller does: same comments, annotation, one write each', async () => {
    const namespace = await cluster.createNamespace('reference');
    // createGuitars picks the brand by name length: names of nine lengths give all nine brands.
    const refs = Array.from({ length: 45 }, (_, i) => ({ namespace, name: `r-${i}${'x'.repeat(i % 9)}` }));
    await createGuitars(kc, refs);
    // One namespace: under USE_EXISTING_CLUSTER the cluster's other guitars are not ours.
    reference = await startReference(cluster, binary, namespace);
    let listed: Listed = { items: [] };
    await waitFor(
      'all 45 reviewed',
      async () => {
        listed = JSON.parse(await cluster.kubectlOk(['get', 'guitars', '-n', namespace, '-o', 'json']));
        return listed.items.length === 45 && listed.items.every((g) => g.spec.review === true);
      },
      60_000,
    );
    for (const g of listed.items) {
      expect(g.spec.comment, g.metadata.name).toBe(EXPECTED[g.spec.brand]);
      expect(g.metadata.annotations?.[REVIEWED_BRAND_ANNOTATION]).toBe(g.spec.brand);
      // Created at generation 1; the review is the one spec write.
      expect(g.metadata.generation).toBe(2);
    }
    expect(new Set(listed.items.map((g) => g.spec.brand)).size).toBe(Object.keys(EXPECTED).length);
    await reference.stop();
  });
});
