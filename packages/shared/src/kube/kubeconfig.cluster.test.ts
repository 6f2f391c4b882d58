import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, kubeconfigYaml } from '@guitars/testenv';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connect } from './index.js';
import { contextNamespace, KubeConfigError, loadKubeConfig } from './kubeconfig.js';

const cluster = new Cluster(inject('testenv'));
const homes: string[] = [];
const emptyHome = () => {
  const home = mkdtempSync(join(tmpdir(), 'guitars-home-'));
  homes.push(home);
  return home;
};
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

describe('loadKubeConfig', () => {
  it('uses KUBECONFIG outside a pod and reaches the apiserver', async () => {
    const { kc, source } = loadKubeConfig({
      env: { KUBECONFIG: cluster.info.kubeconfigPath },
      home: emptyHome(),
    });
    expect(source).toBe('kubeconfig');
    const kube = connect(kc);
    try {
      expect(await kube.accessReviews.username()).toBe('admin');
    } finally {
      kube.close();
    }
  });

  it('merges the files listed in KUBECONFIG, as kubectl does', () => {
    const extra = join(emptyHome(), 'extra');
    writeFileSync(
      extra,
      kubeconfigYaml({
        server: 'https://127.0.0.1:1',
        caPem: '',
        user: 'other',
        credentials: { token: 'x' },
      }).replaceAll('testenv', 'other'),
    );
    const { kc } = loadKubeConfig({
      env: { KUBECONFIG: `${cluster.info.kubeconfigPath}:${extra}` },
      home: emptyHome(),
    });
    expect(kc.getContexts().map((c) => c.name)).toEqual(['testenv', 'other']);
    expect(kc.getCurrentContext()).toBe('testenv');
  });

  it('uses ~/.kube/config when KUBECONFIG is not set', () => {
    const home = emptyHome();
    const dir = join(home, '.kube');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'config'),
      kubeconfigYaml({ server: 'https://127.0.0.1:2', caPem: '', user: 'u', credentials: { token: 't' } }),
    );
    const { kc, source } = loadKubeConfig({ env: {}, home });
    expect(source).toBe('kubeconfig');
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:2');
  });

  it("in a pod, acts as the pod's ServiceAccount and knows its namespace", async () => {
    const namespace = await cluster.createNamespace('incluster');
    await cluster.ensureServiceAccount(namespace, 'app');
    const { root, env } = await cluster.inClusterRoot(namespace, 'app');
    const { kc, source } = loadKubeConfig({ env, inClusterRoot: root, home: emptyHome() });
    expect(source).toBe('in-cluster');
    expect(contextNamespace(kc)).toBe(namespace);
    const kube = connect(kc);
    try {
      expect(await kube.accessReviews.username()).toBe(`system:serviceaccount:${namespace}:app`);
    } finally {
      kube.close();
    }
  });

  it('says in one line what it tried when no cluster is configured', () => {
    const home = emptyHome();
    let error: unknown;
    try {
      loadKubeConfig({ env: {}, home });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KubeConfigError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('KUBERNETES_SERVICE_HOST is not set');
    expect(message).toContain('KUBECONFIG is not set');
    expect(message).toContain(`${join(home, '.kube', 'config')} does not exist`);
  });

  it('names the missing files when KUBECONFIG or the pod token points nowhere', () => {
    expect(() =>
      loadKubeConfig({ env: { KUBECONFIG: '/nonexistent/kubeconfig' }, home: emptyHome() }),
    ).toThrow(/KUBECONFIG=\/nonexistent\/kubeconfig: no such file/);
    expect(() =>
      loadKubeConfig({
        env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '6443' },
        inClusterRoot: emptyHome(),
        home: emptyHome(),
      }),
    ).toThrow(/serviceaccount\/token does not exist/);
  });
});
