import {
  apiMessage,
  apiStatus,
  connect,
  ensureGuitarCrd,
  type Guitar,
  REVIEWED_BRAND_ANNOTATION,
} from '@guitars/shared';
import { Cluster } from '@guitars/testenv';
import { describe, expect, inject, it } from 'vitest';
import { FIELD_MANAGER, guitarPatcher, isReviewed, type ReviewPatch, reviewPatch } from './patch.js';
import { createGuitars, getGuitar, listGuitars } from './test-support/guitars.js';

const great = { verdict: 'great', comment: 'this is a great instrument' };

const guitar = (spec: Guitar['spec'], annotations?: Record<string, string>): Guitar => ({
  apiVersion: 'kool.karmalabs.local/v1',
  kind: 'Guitar',
  metadata: { name: 'strat', namespace: 'shop', resourceVersion: '42', annotations },
  spec,
});

describe('reviewPatch', () => {
  it('names only the owned fields, the brand it was decided on, and the resourceVersion precondition', () => {
    expect(reviewPatch(guitar({ brand: 'Fender', review: false }), great)).toEqual({
      metadata: { resourceVersion: '42', annotations: { [REVIEWED_BRAND_ANNOTATION]: 'Fender' } },
      spec: { review: true, comment: 'this is a great instrument' },
    });
  });
});

describe('isReviewed', () => {
  const reviewed = { [REVIEWED_BRAND_ANNOTATION]: 'fender' };

  it('is true only when review, comment and reviewed brand all match', () => {
    expect(
      isReviewed(guitar({ brand: 'fender', review: true, comment: great.comment }, reviewed), great),
    ).toBe(true);
  });

  it.each([
    [
      'review is false (a new review was asked for)',
      guitar({ brand: 'fender', review: false, comment: great.comment }, reviewed),
    ],
    ['review is absent', guitar({ brand: 'fender', comment: great.comment }, reviewed)],
    [
      'the brand changed since the review',
      guitar({ brand: 'gibson', review: true, comment: great.comment }, reviewed),
    ],
    ['the comment is not the policy’s', guitar({ brand: 'fender', review: true, comment: 'meh' }, reviewed)],
    [
      'the reviewed brand was never recorded',
      guitar({ brand: 'fender', review: true, comment: great.comment }),
    ],
  ])('is false when %s', (_what, g) => {
    expect(isReviewed(g, great)).toBe(false);
  });
});

describe('guitarPatcher, against the apiserver', () => {
  const cluster = new Cluster(inject('testenv'));
  const review = (resourceVersion: string, brand: string): ReviewPatch => ({
    metadata: { resourceVersion, annotations: { [REVIEWED_BRAND_ANNOTATION]: brand } },
    spec: { review: true, comment: great.comment },
  });

  it('writes the review as the controller, and refuses a stale one with a 409', async () => {
    const kc = cluster.adminConfig();
    await ensureGuitarCrd(kc);
    const namespace = await cluster.createNamespace('patch');
    await createGuitars(kc, namespace, [{ name: 'strat', spec: { brand: 'fender', review: false } }]);
    const [created] = await listGuitars(kc, namespace);
    const version = created?.metadata.resourceVersion ?? '';
    const kube = connect(kc);
    const patch = guitarPatcher(kube.guitars);

    await expect(patch(namespace, 'strat', review(version, 'fender'))).resolves.toBeUndefined();
    const written = await getGuitar(kc, namespace, 'strat');
    expect(written.spec).toEqual({ brand: 'fender', review: true, comment: great.comment });
    expect(written.metadata.managedFields?.map((f) => f.manager)).toContain(FIELD_MANAGER);
    expect(
      await cluster.kubectlOk(['get', 'guitar', 'strat', '-n', namespace, '-o', 'jsonpath={.spec.comment}']),
    ).toBe(great.comment);

    const stale = await patch(namespace, 'strat', review(version, 'fender')).catch((err: unknown) => err);
    expect(apiStatus(stale)).toBe(409);
    expect(apiMessage(stale)).toMatch(/the object has been modified/);
    const gone = await patch(namespace, 'nothing', review('1', 'fender')).catch((err: unknown) => err);
    expect(apiStatus(gone)).toBe(404);
    kube.close();
  });
});
