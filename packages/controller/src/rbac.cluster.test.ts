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
async function startAsServiceAccount(
  name: string,
  args: string[],
  serviceAccount = 'guitars-controller',
): Promise<TestApp> {
  const { root, env } = await cluster.inClusterRoot('guitarcenter', serviceAccount);
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
    // Who it runs as, and that its own ServiceAccount lacks only the optional installer binding.
    expect(warnings[0]).toMatchObject({
      identity: 'system:serviceaccount:guitarcenter:guitars-controller',
      fix: expect.stringContaining('kubectl apply -f k8s/base/controller-crd-installer-rbac.yaml'),
    });
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

/** The lines a refusal was explained in (ForbiddenReporter). */
const refusals = (app: TestApp) => app.logs.filter((l) => l.level === 'error' && l.status === 403);

/** GET on the app's probe port. */
async function probe(app: TestApp, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${app.app.probePort}${path}`);
  return { status: res.status, text: await res.text() };
}

describe("on a ServiceAccount without rights (what oc new-app leaves: the namespace's default)", () => {
  const DEFAULT_SA = 'system:serviceaccount:guitarcenter:default';
  const SET_SA =
    'kubectl -n guitarcenter set serviceaccount deployment/guitars-controller guitars-controller';
  beforeAll(async () => {
    await cluster.ensureServiceAccount('guitarcenter', 'default');
  });

  it('says once who it runs as, what was refused and the fix, in the log and /readyz, and keeps running', async () => {
    const proc = await startAsServiceAccount('no-rights', ['--install-crd=false'], 'default');
    await waitFor(
      'the list and the Lease refusals explained',
      async () => refusals(proc).length >= 2,
      20_000,
    );
    const byVerb = Object.fromEntries(refusals(proc).map((l) => [l.verb, l]));
    expect(byVerb.list).toMatchObject({
      identity: DEFAULT_SA,
      identitySource: 'SelfSubjectReview',
      resource: 'guitars.kool.karmalabs.local',
      call: 'guitar list/watch',
      fix: expect.stringContaining(`\`${SET_SA}\``),
    });
    expect(byVerb.list?.fix).toContain(
      '`kubectl create clusterrolebinding guitars-controller-guitarcenter-default --clusterrole=guitars-controller --serviceaccount=guitarcenter:default`',
    );
    expect(byVerb.list?.msg).toBe(
      `forbidden: guitars-controller runs as ${DEFAULT_SA} (SelfSubjectReview), which may not list guitars.kool.karmalabs.local at the cluster scope. Fix: ${byVerb.list?.fix}`,
    );
    expect(byVerb.get).toMatchObject({
      identity: DEFAULT_SA,
      resource: 'leases.coordination.k8s.io',
      name: 'guitars-controller',
      namespace: 'guitarcenter',
      call: 'leader election',
      fix: expect.stringContaining(
        '--role=guitars-controller-leader-election --serviceaccount=guitarcenter:default',
      ),
    });

    const readyz = await probe(proc, '/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.text.trim().split('\n').sort()).toEqual([byVerb.get?.msg, byVerb.list?.msg].sort());
    expect(proc.app.ready()).toBe(false);

    // The informer keeps retrying (with backoff) and the elector too: no new line, no crash.
    await waitFor(
      'three more list attempts',
      async () => (await proc.metric('guitars_watch_restarts_total')) >= 4,
      30_000,
    );
    expect(refusals(proc)).toHaveLength(2);
    expect(
      proc.logs.filter((l) => l.level === 'warn' && /list\/watch failed|leader election/.test(l.msg)),
    ).toEqual([]);
    expect((await probe(proc, '/healthz')).status).toBe(200);
  });

  it('becomes ready and reviews once the binding its fix names is made, and forgets the refusal', async () => {
    const label = randomBytes(4).toString('hex');
    const namespace = await cluster.createNamespace('rbac');
    await labelledGuitars(namespace, label, ['gibson']);
    const proc = await startAsServiceAccount(
      'fixed',
      ['--install-crd=false', '--leader-elect=false', `--label-selector=suite=${label}`],
      'default',
    );
    await waitFor('the refusal explained', async () => refusals(proc).length === 1, 20_000);
    const bind = /`(kubectl create clusterrolebinding [^`]+)`/.exec(String(refusals(proc)[0]?.fix))?.[1];
    expect(bind).toBeDefined();
    // The command as the fix writes it, run as a cluster admin would.
    await cluster.kubectlOk((bind as string).split(' ').slice(1));
    try {
      await waitAllReviewed(kc, namespace, 1, 30_000);
      await waitFor('ready', async () => (await probe(proc, '/readyz')).status === 200, 15_000);
      expect(proc.app.ready()).toBe(true);
      expect(refusals(proc)).toHaveLength(1);
    } finally {
      await cluster.kubectlOk(['delete', 'clusterrolebinding', 'guitars-controller-guitarcenter-default']);
    }
  });
});
