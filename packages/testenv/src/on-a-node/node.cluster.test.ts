import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureAssets } from '../assets.js';
import { Cluster } from '../cluster.js';
import { startControlPlane } from '../control-plane.js';
import { mountsUnder, processesOf, run } from '../host.js';
import { waitFor } from '../http.js';
import { NODE_NAME } from '../node.js';
import { ensureNodeAssets } from '../node-assets.js';
import { RUNTIME_BASE } from '../node-record.js';
import { PAUSE_IMAGE } from '../pause-image.js';

/**
 * The node itself: it runs a pod the kubelet can serve the logs of, and whatever ends it (stop(),
 * or a SIGKILL of its process and the next start's clean-up) leaves nothing on the machine: no
 * process of its binaries, no mount, no bridge, no iptables chain of kube-proxy's, no record.
 * Opt-in, as the deploy tests on a node: TESTENV_NODE=1, or REQUIRE_NODE=1 to fail instead of skip.
 */
const required = process.env.REQUIRE_NODE === '1';
const missing =
  required || process.env.TESTENV_NODE === '1'
    ? process.getuid?.() !== 0
      ? 'a node needs root'
      : undefined
    : 'set TESTENV_NODE=1 to run it (root needed; .ci/run sets REQUIRE_NODE=1)';
if (missing) {
  if (required) throw new Error(`REQUIRE_NODE=1, but the node tests cannot run: ${missing}`);
  console.warn(`testenv node tests skipped: ${missing}`);
}

/** Folders of the host's a kubelet or libcni make: gone after, unless there before. */
const HOST_PATHS_BEFORE = ['/var/lib/kubelet', '/var/lib/cni', '/var/log/containers'].map((path) => ({
  path,
  existed: existsSync(path),
}));

/** A pod of the sandbox image (one busybox), which every node has without a registry. */
const pod = (name: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      containers: [
        {
          name: 'main',
          image: PAUSE_IMAGE,
          imagePullPolicy: 'Never',
          command: ['/busybox', 'sh', '-c', 'echo hello from the node; exec /busybox sleep 3600'],
        },
      ],
      terminationGracePeriodSeconds: 1,
    },
  });

async function runPod(cluster: Cluster, name: string): Promise<void> {
  await cluster.kubectlOk(['apply', '-f', '-'], { input: pod(name) });
  await cluster.kubectlOk(['wait', '--for=condition=Ready', `pod/${name}`, '--timeout=120s']);
}

/** What a node could leave behind, listed so that a failure says what was left. */
async function leftovers(binDir: string, dataDir: string | undefined): Promise<string[]> {
  const found: string[] = [];
  const bins = ['kubelet', 'kube-proxy', 'kube-scheduler', 'kube-controller-manager', 'containerd'];
  for (const bin of [...bins, 'containerd-shim-runc-v2'])
    for (const pid of processesOf(join(binDir, bin))) found.push(`process ${pid} (${bin})`);
  for (const dir of [RUNTIME_BASE, ...(dataDir ? [dataDir] : [])])
    for (const point of mountsUnder(dir)) found.push(`mount ${point}`);
  if (existsSync('/sys/class/net/testenv0')) found.push('bridge testenv0');
  for (const [table, chain] of [
    ['nat', 'KUBE-SERVICES'],
    ['filter', 'KUBE-FIREWALL'],
    ['mangle', 'KUBE-IPTABLES-HINT'],
    ['nat', 'KUBE-KUBELET-CANARY'],
  ] as const)
    if ((await run('iptables', ['-t', table, '-S', chain])).code === 0) found.push(`${table} ${chain} chain`);
  for (const path of HOST_PATHS_BEFORE) if (!path.existed && existsSync(path.path)) found.push(path.path);
  if (existsSync(RUNTIME_BASE))
    for (const entry of readdirSync(RUNTIME_BASE)) found.push(`${RUNTIME_BASE}/${entry}`);
  if (dataDir && existsSync(dataDir)) found.push(dataDir);
  return found;
}

describe.skipIf(missing !== undefined)('a node', () => {
  const work = mkdtempSync(join(tmpdir(), 'guitars-node-test-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('runs a pod whose logs the kubelet serves, and leaves nothing behind when stopped', async () => {
    const plane = await startControlPlane({ node: true, kubeconfigPath: join(work, 'kubeconfig') });
    const binDir = (await ensureNodeAssets()).binDir;
    const dataDir = plane.node?.directory;
    try {
      await runPod(plane, 'hello');
      // kubectl logs goes apiserver -> kubelet (its serving certificate, the apiserver's client one).
      expect(await plane.kubectlOk(['logs', 'hello'])).toContain('hello from the node');
      const node = JSON.parse(await plane.kubectlOk(['get', 'node', NODE_NAME, '-o', 'json'])) as {
        status: { nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string } };
      };
      expect(node.status.nodeInfo).toMatchObject({
        kubeletVersion: 'v1.36.3',
      });
      expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/v?2\.4\.2$/);
    } finally {
      await plane.stop();
    }
    expect(await leftovers(binDir, dataDir)).toEqual([]);
  }, 600_000);

  it('is cleaned up after its process is killed with SIGKILL', async () => {
    const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
    const kubeconfig = join(work, 'killed-kubeconfig');
    const child = spawn(process.execPath, [cli, 'up', '--node', `--kubeconfig=${kubeconfig}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
      // Its control plane's folder (etcd's data) stays when it is killed: in ours, removed after.
      env: { ...process.env, TMPDIR: work },
    });
    try {
      const ready = new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (line.trim() === kubeconfig) resolve();
        });
        child.on('exit', (code) =>
          reject(new Error(`testenv up --node exited (${code}) before it was ready`)),
        );
      });
      await ready;
      const cluster = new Cluster({
        kubeconfigPath: kubeconfig,
        server: '',
        caPem: '',
        kubectlPath: (await ensureAssets()).kubectl,
        existing: true,
      });
      await runPod(cluster, 'orphan');
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((resolve) => child.once('exit', resolve));
    const binDir = (await ensureNodeAssets()).binDir;
    // The container and its shim outlive everything else: nothing kills them but a clean-up.
    await waitFor(
      'the killed node to have left its shim',
      async () => processesOf(join(binDir, 'containerd-shim-runc-v2')).length > 0,
      10_000,
    );
    const clean = await run(process.execPath, [cli, 'clean-node'], 300_000);
    expect(clean.code, clean.stderr).toBe(0);
    expect(await leftovers(binDir, undefined)).toEqual([]);
  }, 600_000);
});
