import { readFileSync } from 'node:fs';
import { CRD_MANIFEST_PATH, CRD_REVISION_ANNOTATION } from '@guitars/shared';
import { type ControlPlane, startControlPlane, waitFor } from '@guitars/testenv';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerProcess } from './test-support/controller-process.js';
import { createGuitars, getGuitar, listGuitars, manyGuitars } from './test-support/guitars.js';

// Objects from "a time before the schema" can only be made with a permissive CRD; this file
// swaps CRDs, so it has a control plane of its own.
let plane: ControlPlane;
let controller: ControllerProcess | undefined;

beforeAll(async () => {
  plane = await startControlPlane({ log: () => {} });
}, 60_000);
afterAll(async () => {
  await controller?.kill();
  await plane?.stop();
});

/** The Guitar CRD as it might have been before the schema: anything goes, and an older revision. */
function permissiveCrd(): unknown {
  const crd = load(readFileSync(CRD_MANIFEST_PATH, 'utf8')) as {
    metadata: { annotations: Record<string, string> };
    spec: { versions: Array<{ schema: unknown }> };
  };
  crd.metadata.annotations[CRD_REVISION_ANNOTATION] = '0';
  for (const version of crd.spec.versions) {
    version.schema = { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
  }
  return crd;
}

const HUGE = `${'a'.repeat(200)}-${'b'.repeat(52)}`;
const BAD = [
  { name: 'no-spec', problem: 'spec is missing' },
  { name: 'numeric-brand', spec: { brand: 42 }, problem: 'spec.brand is a number, not a string' },
  { name: 'list-brand', spec: { brand: ['fender'] }, problem: 'spec.brand is an array, not a string' },
  { name: 'string-spec', spec: 'fender', problem: 'spec is a string, not an object' },
  {
    name: 'wordy-review',
    spec: { brand: 'fender', review: 'yes' },
    problem: 'spec.review is a string, not a boolean',
  },
];

describe('bad objects in the cluster', () => {
  it('are logged clearly and skipped, while everything else is reviewed: no crash, no stuck queue', async () => {
    const kc = plane.adminConfig();
    await plane.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(permissiveCrd()) });
    await plane.kubectlOk([
      'wait',
      '--for=condition=Established',
      'crd/guitars.kool.karmalabs.local',
      '--timeout=30s',
    ]);
    const namespace = await plane.createNamespace('bad');
    await plane.kubectlOk(['apply', '-n', namespace, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          ...BAD.map(({ name, spec }) => ({
            apiVersion: 'kool.karmalabs.local/v1',
            kind: 'Guitar',
            metadata: { name },
            spec,
          })),
          // Valid but extreme: the longest name there can be, and an empty brand.
          {
            apiVersion: 'kool.karmalabs.local/v1',
            kind: 'Guitar',
            metadata: { name: HUGE },
            spec: { brand: 'Gibson' },
          },
          {
            apiVersion: 'kool.karmalabs.local/v1',
            kind: 'Guitar',
            metadata: { name: 'empty-brand' },
            spec: { brand: '' },
          },
        ],
      }),
    });

    // A new controller on the old cluster: it installs the real CRD and meets the old objects.
    controller = await ControllerProcess.start('bad', ['--install-crd=true'], {
      KUBECONFIG: plane.info.kubeconfigPath,
    });
    await controller.waitReady();
    await controller.waitForLog('CRD upgraded', (l) => l.msg === 'CRD guitars.kool.karmalabs.local updated');

    // Thousands at once, next to the bad ones.
    const started = Date.now();
    await createGuitars(kc, namespace, manyGuitars('many', 2000, ['fender', 'acme', 'taylor']), 50);
    await waitFor(
      'all valid guitars reviewed',
      async () => {
        const items = await listGuitars(kc, namespace);
        const pending = items.filter(
          (g) => !BAD.some((b) => b.name === g.metadata.name) && g.metadata.name !== 'empty-brand',
        );
        return pending.length === 2001 && pending.every((g) => g.spec.review === true);
      },
      120_000,
    );
    console.log(`2,000 guitars created at once (50 in flight) and reviewed in ${Date.now() - started} ms`);

    for (const { name, problem } of BAD) {
      const lines = controller.logs.filter((l) => l.msg === `guitar skipped: ${problem}`);
      expect(lines, name).toContainEqual(
        expect.objectContaining({ level: 'warn', namespace, name, problem }),
      );
      // Not reviewed (spec.review may read false: the new schema defaults it).
      expect((await getGuitar(kc, namespace, name)).spec?.comment).toBeUndefined();
    }
    expect(await controller.metric('guitars_skipped_total', { reason: 'invalid' })).toBe(BAD.length);
    expect((await getGuitar(kc, namespace, HUGE)).spec.comment).toBe('this is a great instrument');
    // The empty brand either got its review or was refused by the new schema with a clear line.
    const empty = await getGuitar(kc, namespace, 'empty-brand');
    const refused = controller.logs.some(
      (l) => l.name === 'empty-brand' && l.msg.startsWith('review rejected by the apiserver'),
    );
    expect(empty.spec.comment === 'nobody knows this brand' || refused).toBe(true);

    await waitFor(
      'queue empty',
      async () => (await controller?.metric('guitars_workqueue_depth')) === 0,
      10_000,
    );
    await controller.waitMetric('guitars_reviews_total', {}, 2001 + (refused ? 0 : 1));
    expect(await controller.metric('guitars_reconcile_errors_total', { reason: 'other' })).toBe(0);
    // The event about the guitar with the longest name got a valid name of its own.
    await waitFor(
      'event for the longest name',
      async () => (await plane.kubectlOk(['describe', 'guitar', HUGE, '-n', namespace])).includes('Reviewed'),
      60_000,
    );
    expect(controller.hasExited()).toBe(false);
    expect(controller.logs.filter((l) => l.level === 'fatal')).toEqual([]);
    expect(controller.stderr.join('')).toBe('');
  });
});
