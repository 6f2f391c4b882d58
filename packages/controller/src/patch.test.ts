import { type Guitar, REVIEWED_BRAND_ANNOTATION } from '@guitars/shared';
import { describe, expect, it } from 'vitest';
import { isReviewed, reviewPatch } from './patch.js';

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
