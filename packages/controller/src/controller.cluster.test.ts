import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureGuitarCrd, GROUP, PLURAL, REVIEWED_BRAND_ANNOTATION, VERSION } from '@guitars/shared';
import { Cluster, waitFor } from '@guitars/testenv';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseReviewPolicy } from './review-policy.js';
import { startTestApp, type TestApp } from './test-support/app.js';
import { createGuitars, getGuitar, listGuitars, waitAllReviewed } from './test-support/guitars.js';

const cluster = new Cluster(inject('testenv'));
const kc = cluster.adminConfig();
const api = kc.makeApiClient(CustomObjectsApi);
const SAMPLES = fileURLToPath(new URL('../../../k8s/samples/', import.meta.url));
const GREAT = 'this is a great instrument';
const POOR = 'this instrument is not one we would recommend';
const UNKNOWN = 'nobody knows this brand';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const patchSpec = (namespace: string, name: string, spec: Record<string, unknown>) =>
  api.patchNamespacedCustomObject(
    { group: GROUP, version: VERSION, plural: PLURAL, namespace, name, body: { spec } },
    mergePatch,
  );

const reviewed = async (namespace: string, name: string, comment: string, brand?: string) => {
  await waitFor(
    `${namespace}/${name} reviewed: ${comment}`,
    async () => {
      const g = await getGuitar(kc, namespace, name);
      return (
        g.spec.review === true &&
        g.spec.comment === comment &&
        g.metadata.annotations?.[REVIEWED_BRAND_ANNOTATION] === (brand ?? g.spec.brand)
      );
    },
    15_000,
  );
  return getGuitar(kc, namespace, name);
};

beforeAll(async () => {
  await ensureGuitarCrd(kc);
});

describe('the controller, against a real apiserver', () => {
  let namespace: string;
  let ctl: TestApp;

  beforeAll(async () => {
    namespace = await cluster.createNamespace('reviews');
    // Guitars that exist before the controller starts are reviewed on start.
    await createGuitars(kc, namespace, [{ name: 'early-bird', spec: { brand: 'gibson' } }]);
    ctl = await startTestApp(kc, [`--namespace=${namespace}`]);
    await waitFor('cache synced', async () => ctl.app.ready(), 15_000);
  });
  afterAll(() => ctl?.stop());

  it('reviews a guitar that existed before it started', async () => {
    await reviewed(namespace, 'early-bird', GREAT);
  });

  it('reviews the five samples of the original', async () => {
    const samples = readdirSync(SAMPLES).filter((f) => f.endsWith('.yaml'));
    expect(samples.sort()).toEqual([
      'd15.yaml',
      'lespaul.yaml',
      'stratocaster.yaml',
      'telecaster.yaml',
      'x003.yaml',
    ]);
    await cluster.kubectlOk(['apply', '-n', namespace, '-f', SAMPLES]);
    const expected = { stratocaster: GREAT, lespaul: POOR, d15: GREAT, telecaster: GREAT, x003: POOR };
    for (const [name, comment] of Object.entries(expected)) {
      const g = await reviewed(namespace, name, comment);
      expect(
        g.metadata.managedFields?.some((f) => f.manager === 'guitars-controller' && f.operation === 'Update'),
      ).toBe(true);
    }
  });

  it('reviews unknown brands, and brands in upper case or with spaces like lower-case ones', async () => {
    await createGuitars(kc, namespace, [
      { name: 'acme', spec: { brand: 'acme' } },
      { name: 'shouting', spec: { brand: 'FENDER' } },
      { name: 'spacey', spec: { brand: ' Yamaha ' } },
    ]);
    await reviewed(namespace, 'acme', UNKNOWN);
    await reviewed(namespace, 'shouting', GREAT);
    await reviewed(namespace, 'spacey', POOR);
  });

  it('reviews a guitar again when its brand changes after the review', async () => {
    await createGuitars(kc, namespace, [{ name: 'changeling', spec: { brand: 'fender' } }]);
    await reviewed(namespace, 'changeling', GREAT);
    await patchSpec(namespace, 'changeling', { brand: 'taylor' });
    const g = await reviewed(namespace, 'changeling', POOR, 'taylor');
    expect(g.spec.review).toBe(true);
  });

  it('reviews a guitar again when spec.review is set back to false', async () => {
    await createGuitars(kc, namespace, [{ name: 'again', spec: { brand: 'martin' } }]);
    const first = await reviewed(namespace, 'again', GREAT);
    const before = await ctl.metric('guitars_reviews_total', { verdict: 'great' });
    await patchSpec(namespace, 'again', { review: false, comment: 'please look again' });
    await waitFor(
      'second review',
      async () => (await ctl.metric('guitars_reviews_total', { verdict: 'great' })) === before + 1,
      15_000,
    );
    const second = await reviewed(namespace, 'again', GREAT);
    expect(Number(second.metadata.resourceVersion)).toBeGreaterThan(Number(first.metadata.resourceVersion));
  });

  it('does not write to a guitar already reviewed for its brand', async () => {
    const unchangedBefore = await ctl.metric('guitars_reconcile_duration_seconds_count', {
      result: 'unchanged',
    });
    const reviewsBefore = await ctl.metric('guitars_reviews_total');
    await createGuitars(kc, namespace, [
      {
        name: 'done-already',
        spec: { brand: 'Ibanez', review: true, comment: GREAT },
        annotations: { [REVIEWED_BRAND_ANNOTATION]: 'Ibanez' },
      },
    ]);
    const created = await getGuitar(kc, namespace, 'done-already');
    await waitFor(
      'the guitar reconciled',
      async () =>
        (await ctl.metric('guitars_reconcile_duration_seconds_count', { result: 'unchanged' })) >
        unchangedBefore,
      15_000,
    );
    const after = await getGuitar(kc, namespace, 'done-already');
    expect(after.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(await ctl.metric('guitars_reviews_total')).toBe(reviewsBefore);
  });

  it('records a Reviewed event that kubectl describe shows', async () => {
    await createGuitars(kc, namespace, [{ name: 'described', spec: { brand: 'Seagull' } }]);
    await reviewed(namespace, 'described', GREAT);
    let out = '';
    await waitFor(
      'event in kubectl describe',
      async () => {
        out = await cluster.kubectlOk(['describe', 'guitar', 'described', '-n', namespace]);
        return out.includes('Reviewed');
      },
      15_000,
    );
    expect(out).toMatch(
      /Normal\s+Reviewed\s+.*guitars-controller\s+Brand "Seagull": this is a great instrument/,
    );
    // One event per review.
    const events = await cluster.kubectlOk([
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      'involvedObject.name=described',
      '-o',
      'json',
    ]);
    const items = (JSON.parse(events) as { items: Array<{ reason: string; count: number }> }).items;
    expect(items.map((e) => [e.reason, e.count])).toEqual([['Reviewed', 1]]);
  });

  it('logs each review as one JSON line with the guitar’s namespace and name', () => {
    const line = ctl.logs.find((l) => l.msg === 'guitar reviewed' && l.name === 'stratocaster');
    expect(line).toMatchObject({
      level: 'info',
      namespace,
      name: 'stratocaster',
      brand: 'fender',
      verdict: 'great',
    });
    expect(line?.logger).toBe('guitars-controller');
  });

  it('counts in /metrics what happened', async () => {
    const guitars = await listGuitars(kc, namespace);
    // Every guitar was reviewed once, "again" twice, "changeling" twice, "done-already" never.
    expect(await ctl.metric('guitars_reviews_total')).toBe(guitars.length + 2 - 1);
    expect(await ctl.metric('guitars_reviews_total', { verdict: 'poor' })).toBe(
      guitars.filter((g) => g.spec.comment === POOR).length,
    );
    expect(await ctl.metric('guitars_reviews_total', { verdict: 'unknown' })).toBe(1);
    expect(await ctl.metric('guitars_workqueue_depth')).toBe(0);
    expect(await ctl.metric('guitars_cache_synced')).toBe(1);
    expect(await ctl.metric('guitars_leader')).toBe(1);
    expect(await ctl.metric('guitars_reconcile_errors_total')).toBe(0);
    // One event per review; the second identical review of "again" counted up its first event.
    await waitFor(
      'events sent',
      async () =>
        (await ctl.metric('guitars_events_total', { result: 'created' })) === guitars.length &&
        (await ctl.metric('guitars_events_total', { result: 'aggregated' })) === 1,
      15_000,
    );
  });
});

describe('a custom review policy', () => {
  it('replaces the lists and words without a rebuild', async () => {
    const namespace = await cluster.createNamespace('policy');
    const policy = parseReviewPolicy(`
rules:
  - verdict: loved
    comment: we love this one
    brands: [Yamaha]
otherwise:
  verdict: other
  comment: not on our list
`);
    const ctl = await startTestApp(kc, [`--namespace=${namespace}`], policy);
    try {
      await createGuitars(kc, namespace, [
        { name: 'p1', spec: { brand: 'yamaha' } },
        { name: 'p2', spec: { brand: 'fender' } },
      ]);
      await reviewed(namespace, 'p1', 'we love this one');
      await reviewed(namespace, 'p2', 'not on our list');
      await ctl.waitMetric('guitars_reviews_total', { verdict: 'loved' }, 1);
    } finally {
      await ctl.stop();
    }
  });
});

describe('a label selector', () => {
  it('limits the controller to the guitars it matches', async () => {
    const namespace = await cluster.createNamespace('selector');
    const ctl = await startTestApp(kc, [`--namespace=${namespace}`, '--label-selector=shop=berlin']);
    try {
      await cluster.kubectlOk(['apply', '-n', namespace, '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: [
            {
              apiVersion: `${GROUP}/${VERSION}`,
              kind: 'Guitar',
              metadata: { name: 'mine', labels: { shop: 'berlin' } },
              spec: { brand: 'martin' },
            },
            {
              apiVersion: `${GROUP}/${VERSION}`,
              kind: 'Guitar',
              metadata: { name: 'theirs', labels: { shop: 'paris' } },
              spec: { brand: 'martin' },
            },
          ],
        }),
      });
      await reviewed(namespace, 'mine', GREAT);
      await waitFor('queue idle', async () => (await ctl.metric('guitars_workqueue_depth')) === 0, 5_000);
      expect((await getGuitar(kc, namespace, 'theirs')).spec.review).toBe(false);
      await ctl.waitMetric('guitars_reviews_total', {}, 1);
    } finally {
      await ctl.stop();
    }
  });
});

describe('a burst', () => {
  it('reviews 300 guitars created at once, one write each', async () => {
    const namespace = await cluster.createNamespace('burst');
    const ctl = await startTestApp(kc, [`--namespace=${namespace}`]);
    try {
      const started = Date.now();
      await createGuitars(
        kc,
        namespace,
        Array.from({ length: 300 }, (_, i) => ({
          name: `g${i}`,
          spec: { brand: ['fender', 'yamaha', 'acme'][i % 3] },
        })),
      );
      const items = await waitAllReviewed(kc, namespace, 300, 60_000);
      console.log(`300 guitars created and reviewed in ${Date.now() - started} ms`);
      expect(items.every((g) => g.metadata.generation === 2)).toBe(true);
      await ctl.waitMetric('guitars_reviews_total', {}, 300);
      expect(await ctl.metric('guitars_reviews_total', { verdict: 'unknown' })).toBe(100);
    } finally {
      await ctl.stop();
    }
  });
});

describe('a quiet cluster', () => {
  /** Watches of guitars the apiserver has finished serving, from its own /metrics. */
  const guitarWatches = async () => {
    const text = await cluster.kubectlOk(['get', '--raw', '/metrics']);
    let total = 0;
    for (const line of text.split('\n'))
      if (
        line.startsWith('apiserver_request_total{') &&
        line.includes('resource="guitars"') &&
        line.includes('verb="WATCH"')
      )
        total += Number(line.slice(line.lastIndexOf(' ') + 1));
    return total;
  };

  it('keeps watching across the watch idle timeout, silently and without a relist', async () => {
    const namespace = await cluster.createNamespace('quiet');
    // A 1 s idle timeout instead of 30 s: the same code path, without the wait.
    const ctl = await startTestApp(
      kc,
      [`--namespace=${namespace}`],
      undefined,
      {},
      { watchIdleTimeoutMs: 1_000 },
    );
    try {
      await waitFor('cache synced', async () => ctl.app.ready(), 15_000);
      const mark = ctl.logs.length;
      const before = await guitarWatches();
      // Each watch given up idle ends at the apiserver and is resumed as a new one.
      await waitFor(
        'three watches given up idle and resumed',
        async () => (await guitarWatches()) >= before + 3,
        20_000,
      );
      expect(ctl.app.ready()).toBe(true);
      const created = Date.now();
      await createGuitars(kc, namespace, [{ name: 'late', spec: { brand: 'washburn' } }]);
      await waitAllReviewed(kc, namespace, 1, 5_000);
      expect(Date.now() - created).toBeLessThan(3_000);
      const since = ctl.logs.slice(mark);
      expect(since.filter((l) => l.level !== 'info')).toEqual([]);
      expect(await ctl.metric('guitars_relists_total')).toBe(0);
      expect(await ctl.metric('guitars_watch_restarts_total')).toBe(0);
    } finally {
      await ctl.stop();
    }
  });
});
