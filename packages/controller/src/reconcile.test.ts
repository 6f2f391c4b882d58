import { createLogger, KubeApiError, REVIEWED_BRAND_ANNOTATION } from '@guitars/shared';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';
import type { ReviewPatch } from './patch.js';
import { reconciler } from './reconcile.js';
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
  const lines: Array<Record<string, unknown>> = [];
  const metrics = createMetrics();
  const reconcile = reconciler({
    get: () => cached,
    patch: async (_ns, _name, patch) => {
      if (patchError) throw patchError;
      patches.push(patch);
    },
    review: reviewer(DEFAULT_POLICY),
    recorder: { record: (_obj, type, reason, message) => void events.push(`${type} ${reason} ${message}`) },
    logger: createLogger('test', { write: (l: string) => void lines.push(JSON.parse(l)) }, 'logger'),
    metrics,
  });
  return {
    reconcile,
    patches,
    events,
    lines,
    metrics,
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
  });

  it('does not patch again while the cache still shows the version it reviewed', async () => {
    const t = setup(guitar({ brand: 'gibson' }, '7'));
    await t.reconcile('ns/g');
    expect(await t.reconcile('ns/g')).toBe('awaiting-watch');
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
    expect(await t.reconcile('ns/g')).toBe('gone');
  });

  it.each([
    [undefined, 'spec is missing'],
    [{ brand: 42 }, 'spec.brand is a number, not a string'],
    [{ brand: 'fender', review: 'yes' }, 'spec.review is a string, not a boolean'],
    ['fender', 'spec is a string, not an object'],
  ])('skips %j with a clear warning, without a write or a retry', async (spec, problem) => {
    const t = setup(guitar(spec));
    expect(await t.reconcile('ns/g')).toBe('invalid');
    expect(t.patches).toHaveLength(0);
    expect(t.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        namespace: 'ns',
        name: 'g',
        problem,
        msg: `guitar skipped: ${problem}`,
      }),
    );
  });

  it('throws a conflict, so the key is retried against the fresh object', async () => {
    const t = setup(guitar({ brand: 'gibson' }), apiError(409));
    await expect(t.reconcile('ns/g')).rejects.toThrow(KubeApiError);
  });

  it('takes a 404 on patch as a guitar deleted meanwhile', async () => {
    const t = setup(guitar({ brand: 'gibson' }), apiError(404));
    expect(await t.reconcile('ns/g')).toBe('gone');
  });

  it('logs and gives up a review the apiserver refuses as invalid', async () => {
    const t = setup(guitar({ brand: 'gibson' }), apiError(422));
    expect(await t.reconcile('ns/g')).toBe('rejected');
    expect(t.lines).toContainEqual(
      expect.objectContaining({ level: 'error', namespace: 'ns', name: 'g', status: 422 }),
    );
  });

  it('throws transient errors for a retry with backoff', async () => {
    const t = setup(guitar({ brand: 'gibson' }), new TypeError('fetch failed'));
    await expect(t.reconcile('ns/g')).rejects.toThrow('fetch failed');
  });
});
