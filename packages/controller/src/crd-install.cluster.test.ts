import { connect, createLogger, ensureGuitarCrd } from '@guitars/shared';
import { Cluster, freePort } from '@guitars/testenv';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { installCrd } from './crd-install.js';
import type { LogLine } from './test-support/controller-process.js';

const cluster = new Cluster(inject('testenv'));
const connections: Array<{ close(): void }> = [];
afterAll(() => {
  for (const kube of connections) kube.close();
});
/** The CRD client of a connection as `kc`'s user, as the controller gets it. */
const crdsAs = (kc: KubeConfig) => {
  const kube = connect(kc);
  connections.push(kube);
  return kube.crds;
};

const capture = () => {
  const lines: LogLine[] = [];
  return {
    lines,
    logger: createLogger('test', { write: (l: string) => void lines.push(JSON.parse(l)) }, 'logger'),
  };
};

describe('installCrd', () => {
  it('leaves the CRD as it is when up to date', async () => {
    await ensureGuitarCrd(cluster.adminConfig());
    const { lines, logger } = capture();
    await installCrd(crdsAs(cluster.adminConfig()), logger, new AbortController().signal);
    expect(lines.map((l) => l.msg)).toEqual(['CRD guitars.kool.karmalabs.local unchanged']);
  });

  it('says in one line when it may not, and returns so the controller goes on', async () => {
    const namespace = await cluster.createNamespace('nocrd');
    await cluster.ensureServiceAccount(namespace, 'nobody');
    const { kc } = await cluster.kubeconfigFor(namespace, 'nobody');
    const { lines, logger } = capture();
    await installCrd(crdsAs(kc), logger, new AbortController().signal);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', status: 403 });
    expect(lines[0]?.msg).toMatch(
      /^no permission to install or upgrade CRD .*--install-crd=false \(CONTROLLER_INSTALL_CRD=false\)/,
    );
  });

  it('retries with backoff while the apiserver cannot be reached, until stopped', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `https://127.0.0.1:${await freePort()}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'x' }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
    const { lines, logger } = capture();
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 1_200);
    const started = Date.now();
    await installCrd(crdsAs(kc), logger, abort.signal);
    expect(Date.now() - started).toBeLessThan(2_000);
    // 0.5 s, then 1 s: two tries before the stop, not a tight loop.
    expect(lines.map((l) => l.retryInMs)).toEqual([500, 1000]);
  });
});
