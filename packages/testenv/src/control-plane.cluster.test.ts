import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { CoreV1Api, RbacAuthorizationV1Api, VersionApi } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { Cluster } from './cluster.js';
import { startControlPlane } from './control-plane.js';
import { httpRequest, waitFor } from './http.js';
import { apiStatusOf } from './test-support/api-status.js';
import { KUBERNETES_VERSION } from './versions.js';

/** Running, and not a zombie waiting to be reaped. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('a control plane', () => {
  it('starts etcd and kube-apiserver, serves the pinned version, and leaves nothing behind when stopped', async () => {
    const plane = await startControlPlane({ log: () => {} });
    const pids = plane.pids();
    const dir = plane.directory;
    try {
      expect(pids).toHaveLength(2);
      for (const pid of pids) expect(isRunning(pid)).toBe(true);
      expect(existsSync(plane.info.kubeconfigPath)).toBe(true);

      const version = await plane.adminConfig().makeApiClient(VersionApi).getCode();
      expect(version.gitVersion).toBe(KUBERNETES_VERSION);
      expect(await plane.kubectlOk(['get', 'namespace', 'default', '-o', 'name'])).toBe(
        'namespace/default\n',
      );
    } finally {
      await plane.stop();
    }
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(plane.info.kubeconfigPath)).toBe(false);
    await expect(
      httpRequest(`${plane.info.server}/readyz`, { tls: { ca: plane.info.caPem } }),
    ).rejects.toThrow();
  });

  it('leaves no etcd or kube-apiserver running when its owner is killed with SIGKILL', async () => {
    // A separate Node process owns the control plane and prints the pids; SIGKILL gives it no
    // chance to clean up, so only the kernel's parent-death signal can stop the children.
    const owner = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const { startControlPlane } = await import('@guitars/testenv');" +
          'const plane = await startControlPlane({ log: () => {} });' +
          'console.log(JSON.stringify(plane.pids())); setInterval(() => {}, 1000);',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const pids = await new Promise<number[]>((resolve, reject) => {
      owner.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()) as number[]));
      owner.once('exit', (code) => reject(new Error(`the owner exited early (${code})`)));
    });
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isRunning(pid)).toBe(true);
    owner.kill('SIGKILL');
    await waitFor(
      'etcd and kube-apiserver to die with their owner',
      async () => !pids.some(isRunning),
      10_000,
    );
  });

  it('restarts kube-apiserver on the same address with its data kept', async () => {
    const plane = await startControlPlane({ log: () => {} });
    try {
      const core = plane.adminConfig().makeApiClient(CoreV1Api);
      const ns = await plane.createNamespace('keep');
      await plane.stopApiserver();
      await expect(core.readNamespace({ name: ns })).rejects.toThrow();
      await plane.startApiserver();
      expect((await core.readNamespace({ name: ns })).metadata?.name).toBe(ns);
    } finally {
      await plane.stop();
    }
  });
});

describe('ServiceAccount tokens and RBAC', () => {
  it('refuse what RBAC does not grant (403) and accept it once a Role grants it', async () => {
    const plane = new Cluster(inject('testenv'));
    {
      const ns = await plane.createNamespace('rbac');
      await plane.ensureServiceAccount(ns, 'reader');
      const { kc } = await plane.kubeconfigFor(ns, 'reader');
      const asReader = kc.makeApiClient(CoreV1Api);

      const refused = await asReader.listNamespacedConfigMap({ namespace: ns }).catch((err: unknown) => err);
      expect(apiStatusOf(refused)).toBe(403);

      const rbac = plane.adminConfig().makeApiClient(RbacAuthorizationV1Api);
      await rbac.createNamespacedRole({
        namespace: ns,
        body: {
          metadata: { name: 'configmap-reader' },
          rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
        },
      });
      await rbac.createNamespacedRoleBinding({
        namespace: ns,
        body: {
          metadata: { name: 'reader' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
          subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
        },
      });
      const list = await asReader.listNamespacedConfigMap({ namespace: ns });
      expect(Array.isArray(list.items)).toBe(true);
      // Granted in its own namespace only.
      const elsewhere = await asReader
        .listNamespacedConfigMap({ namespace: 'default' })
        .catch((err: unknown) => err);
      expect(apiStatusOf(elsewhere)).toBe(403);
    }
  });
});
