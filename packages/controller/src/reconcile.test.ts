import { createLogger, KubeApiError, REVIEWED_BRAND_ANNOTATION } from '@guitars/shared';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { TerminalError } from './kit/reconciler.js';
import type { ReviewPatch } from './patch.js';
import { guitarReconciler } from './reconcile.js';
import { DEFAULT_POLICY, reviewer } from './review-policy.js';

const guitar = (spec: unknown, rv = '1', annotations?: Record<string, string>): KubernetesObject =>
  ({
    apiVersion: 'kool.karmalabs.local/v1',
    kind: 'Guitar',
    metadata: { name: 'g', namespace: 'ns', resourceVersion: rv, uid: 'u1', annotations },
    spec,
  }) as KubernetesObject;

function setup(initial: KubernetesObject | undefined, patchError?: unknown) {
  let cached = initial;
  const patches: ReviewPatch[] = [];
  const events: string[] = [];
  const reviews: string[] = [];
  const reconciler = guitarReconciler({
    patch: async (_ns, _name, patch) => {
      if (patchError) throw patchError;
      patches.push(patch);
    },
    review: reviewer(DEFAULT_POLICY),
    recorder: { record: (_obj, type, reason, message) => void events.push(`${type} ${reason} ${message}`) },
    logger: createLogger('test', { write: () => {} }),
    reviews: { inc: ({ verdict }: { verdict: string }) => void reviews.push(verdict) },
  });
  return {
    // As the kit calls it: the cached object, or undefined once deleted.
    reconcile: async (key: string) => (await reconciler.reconcile(cached, key)).outcome,
    patches,
    events,
    reviews,
    setCached: (obj: KubernetesObject | undefined) => {
      cached = obj;
    },
  };
}

const apiError = (code: number) =>
  new KubeApiError(code, JSON.stringify({ message: `status ${code}` }), { method: 'PATCH', path: '/g' });

describe('reconcile', () => {
  it('reviews an unreviewed guitar in one patch and records an event', async () => {
    const t = setup(guitar({ brand: 'Gibson' }, '7'));
    expect(await t.reconcile('ns/g')).toBe('reviewed');
    expect(t.patches).toEqual([
      {
        metadata: { resourceVersion: '7', annotations: { [REVIEWED_BRAND_ANNOTATION]: 'Gibson' } },
        spec: { review: true, comment: 'this is a great instrument' },
      },
    ]);
    expect(t.events).toEqual(['Normal Reviewed Brand "Gibson": this is a great instrument']);
    expect(t.reviews).toEqual(['great']);
  });

  it('does not patch again while the cache still shows the version it reviewed', async () => {
    const t = setup(guitar({ brand: 'gibson' }, '7'));
    await t.reconcile('ns/g');
    expect(await t.reconcile('ns/g')).toBe('skipped');
    expect(t.patches).toHaveLength(1);
    t.setCached(
      guitar({ brand: 'gibson', review: true, comment: 'this is a great instrument' }, '8', {
        [REVIEWED_BRAND_ANNOTATION]: 'gibson',
      }),
    );
    expect(await t.reconcile('ns/g')).toBe('unchanged');
    expect(t.patches).toHaveLength(1);
  });

  it('forgets a deleted guitar', async () => {
    const t = setup(undefined);
    expect(await t.reconcile('ns/g')).toBe('skipped');
  });

  it.each([
    [undefined, 'spec is missing'],
    [{ brand: 42 }, 'spec.brand is a number, not a string'],
    [{ brand: 'fender', review: 'yes' }, 'spec.review is a string, not a boolean'],
    ['fender', 'spec is a string, not an object'],
  ])('skips %j with a terminal error saying why, without a write', async (spec, problem) => {
    const t = setup(guitar(spec));
    const err = await t.reconcile('ns/g').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect(err).toMatchObject({
      message: `guitar skipped: ${problem}`,
      reason: 'invalid',
      level: 'warn',
      details: { problem, resourceVersion: '1' },
    });
    expect(t.patches).toHaveLength(0);
  });

  it('throws a conflict, so the key is retried against the fresh object', async () => {
    const t = setup(guitar({ brand: 'gibson' }), apiError(409));
    await expect(t.reconcile('ns/g')).rejects.toThrow(KubeApiError);
  });

  it('takes a 404 on patch as a guitar deleted meanwhile', async () => {
    const t = setup(guitar({ brand: 'gibson' }), apiError(404));
    expect(await t.reconcile('ns/g')).toBe('skipped');
  });

  it('gives up a review the apiserver refuses as invalid, with a terminal error', async () => {
    const t = setup(guitar({ brand: 'gibson' }), apiError(422));
    await expect(t.reconcile('ns/g')).rejects.toMatchObject({
      name: 'TerminalError',
      reason: 'rejected',
      level: 'error',
      details: { status: 422 },
    });
    expect(t.reviews).toEqual([]);
  });

  it('throws transient errors for a retry with backoff', async () => {
    const t = setup(guitar({ brand: 'gibson' }), new TypeError('fetch failed'));
    await expect(t.reconcile('ns/g')).rejects.toThrow('fetch failed');
  });
});
