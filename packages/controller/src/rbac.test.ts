import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CRD_NAME, crdRevision, ensureGuitarCrd, guitarCrd, loadKubeConfig } from '@guitars/shared';
import { Cluster, waitFor } from '@guitars/testenv';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestApp, type TestApp } from './test-support/app.js';
import { waitAllReviewed } from './test-support/guitars.js';

const cluster = new Cluster(inject('testenv'));
const kc = cluster.adminConfig();
const base = (file: string) => fileURLToPath(new URL(`../../../k8s/base/${file}`, import.meta.url));
const running: TestApp[] = [];

/**
 * The controller as the guitars-controller ServiceAccount in in-cluster mode, as in its pod: the
 * shared client factory reads the token, CA and namespace from a pod-like folder, and the
 * environment says "in a pod" (so leader election is on by default, as in the Deployment).
 */
async function startAsServiceAccount(name: string, args: string[]): Promise<TestApp> {
  const { root, env } = await cluster.inClusterRoot('guitarcenter', 'guitars-controller');
  const { kc: podKc, source } = loadKubeConfig({ env, inClusterRoot: root });
  expect(source).toBe('in-cluster');
  const app = await startTestApp(podKc, args, undefined, { ...env, POD_NAME: name });
  running.push(app);
  return app;
}

beforeAll(async () => {
  await ensureGuitarCrd(kc);
  await cluster.kubectlOk(['apply', '-f', base('namespace.yaml')]);
  await cluster.kubectlOk(['apply', '-f', base('controller-rbac.yaml')]);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.stop()));
});

/** Guitars labelled for one test, so this cluster-wide controller leaves other test files' guitars alone. */
async function labelledGuitars(namespace: string, label: string, brands: string[]): Promise<void> {
  await cluster.kubectlOk(['apply', '-n', namespace, '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: brands.map((brand, i) => ({
        apiVersion: 'kool.karmalabs.local/v1',
        kind: 'Guitar',
        metadata: { name: `rbac-${i}`, labels: { suite: label } },
        spec: { brand },
      })),
    }),
  });
}

describe('the shipped RBAC', () => {
  it('is enough for the controller in a pod with --install-crd=false: all namespaces, events, leader election', async () => {
    const label = randomBytes(4).toString('hex');
    const namespace = await cluster.createNamespace('rbac');
    await labelledGuitars(namespace, label, ['fender', 'yamaha', 'acme']);
    const proc = await startAsServiceAccount('rbac-plain', [
      '--install-crd=false',
      `--label-selector=suite=${label}`,
    ]);
    await waitAllReviewed(kc, namespace, 3, 20_000);
    expect(proc.app.ready()).toBe(true);
    // In a pod, leader election is on by default, with the Lease in the pod's namespace.
    expect(proc.logs).toContainEqual(
      expect.objectContaining({
        msg: 'became leader',
        lease: 'guitarcenter/guitars-controller',
        identity: 'rbac-plain',
      }),
    );
    await waitFor(
      'events written',
      async () => (await proc.metric('guitars_events_total', { result: 'created' })) === 3,
      15_000,
    );
    expect(await proc.metric('guitars_events_total', { result: 'failed' })).toBe(0);
    expect(await proc.metric('guitars_reconcile_errors_total')).toBe(0);
    expect(proc.logs.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
    await proc.stop();
    expect(proc.logs.filter((l) => l.msg === 'released the lease')).toHaveLength(1);
  });

  it('without the installer role, says in one line that it may not install the CRD, and keeps working', async () => {
    const label = randomBytes(4).toString('hex');
    const namespace = await cluster.createNamespace('rbac');
    await labelledGuitars(namespace, label, ['martin']);
    const proc = await startAsServiceAccount('rbac-no-install', [
      '--install-crd=true',
      `--label-selector=suite=${label}`,
      '--leader-elect=false',
    ]);
    await waitAllReviewed(kc, namespace, 1, 20_000);
    const warnings = proc.logs.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(
      /^no permission to install or upgrade CRD guitars.kool.karmalabs.local \(.*forbidden.*\); going on with the installed one/,
    );
  });

  it('with the installer role too, installs an upgrade of an older CRD', async () => {
    await cluster.kubectlOk(['apply', '-f', base('controller-crd-installer-rbac.yaml')]);
    try {
      const ext = kc.makeApiClient(ApiextensionsV1Api);
      // Mark the installed CRD as an older revision: the controller must replace it.
      await cluster.kubectlOk([
        'annotate',
        'crd',
        CRD_NAME,
        'kool.karmalabs.local/crd-revision=0',
        '--overwrite',
      ]);
      const label = randomBytes(4).toString('hex');
      const namespace = await cluster.createNamespace('rbac');
      await labelledGuitars(namespace, label, ['gibson']);
      const proc = await startAsServiceAccount('rbac-install', [
        '--install-crd=true',
        `--label-selector=suite=${label}`,
        '--leader-elect=false',
      ]);
      await waitFor(
        'CRD upgraded',
        async () => proc.logs.some((l) => l.msg === `CRD ${CRD_NAME} updated`),
        15_000,
      );
      await waitAllReviewed(kc, namespace, 1, 20_000);
      const crd = await ext.readCustomResourceDefinition({ name: CRD_NAME });
      expect(crdRevision(crd)).toBe(crdRevision(guitarCrd()));
      expect(proc.logs.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
    } finally {
      await cluster.kubectlOk(['delete', '-f', base('controller-crd-installer-rbac.yaml')]);
    }
  });
});
