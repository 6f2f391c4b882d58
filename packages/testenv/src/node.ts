import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePodNetwork } from './cni.js';
import { type Containerd, startContainerd } from './containerd.js';
import { startControllerManager, startKubeProxy, startScheduler } from './controllers.js';
import { readSysctl } from './host.js';
import { waitFor } from './http.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { startKubelet } from './kubelet.js';
import { ensureNodeAssets, type NodeAssets } from './node-assets.js';
import {
  abandonedRecords,
  type NodeRecord,
  RUNTIME_BASE,
  releaseNodeLock,
  takeNodeLock,
  writeRecord,
} from './node-record.js';
import { taskDir, teardownNode } from './node-teardown.js';
import { writePauseImage } from './pause-image.js';
import type { CertificateAuthority } from './pki.js';
import { type ManagedProcess, onExitFirst } from './processes.js';

/** The one node's name (its Node object, the kubelet's identity system:node:<name>). */
export const NODE_NAME = 'testenv-node';

/** What a node needs from the control plane it joins. */
export interface NodeContext {
  /** The control plane's folder: the node's go in <dir>/node/<component>. */
  dir: string;
  server: string;
  ca: CertificateAuthority;
  caFile: string;
  serviceAccountKeyFile: string;
  serviceCidr: string;
  /** The host's address, the node's InternalIP. */
  hostIp: string;
  /** Runs kubectl as the admin (to wait for the Node to be Ready). */
  kubectl(args: string[]): Promise<string>;
  log: (line: string) => void;
}

/**
 * Sysctls the kubelet (kernel tunables) and kube-proxy (route_localnet) set; restored at the end.
 * Not net/ipv4/ip_forward, which the bridge plugin turns on: podman's netavark needs it as well,
 * and may have turned it on meanwhile for containers that still run.
 */
const TOUCHED_SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/conf/all/route_localnet',
];

/** Host folders the kubelet (device plugins' socket) and libcni (its cache) make if missing. */
const HOST_PATHS = ['/var/lib/kubelet', '/var/lib/cni', '/var/log/containers'];

/**
 * One node of the test cluster: containerd with Debian's runc and CNI plugins, a kubelet
 * registered as a Node, kube-proxy, and the control plane's kube-controller-manager and
 * kube-scheduler, so that Deployments become pods and Services route. Root only. What it starts
 * and changes on the machine is written down as it goes (node-record.ts), so that stop(), the
 * process's exit, or the next start after a SIGKILL undoes it all.
 */
export class Node {
  private stopped = false;

  private constructor(
    readonly name: string,
    readonly containerd: Containerd,
    private readonly record: NodeRecord,
    private readonly processes: ManagedProcess[],
    private readonly log: (line: string) => void,
  ) {}

  static async start(ctx: NodeContext): Promise<Node> {
    if (process.getuid?.() !== 0) throw new Error('[testenv] a node needs root (mounts, cgroups, a bridge)');
    const assets = await ensureNodeAssets(ctx.log);
    takeNodeLock();
    for (const old of abandonedRecords()) {
      ctx.log(`[testenv] cleaning up the node left by process ${old.ownerPid} (${old.dataDir})`);
      await teardownNode(old, ctx.log);
    }
    const runtimeDir = join(RUNTIME_BASE, `node-${process.pid}`);
    const dataDir = join(ctx.dir, 'node');
    mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
    mkdirSync(dataDir, { recursive: true });
    const network = writePodNetwork(join(dataDir, 'cni'));
    const record: NodeRecord = {
      ownerPid: process.pid,
      runtimeDir,
      dataDir,
      binDir: assets.binDir,
      bridge: network.bridge,
      network: network.name,
      pids: {},
      sysctls: Object.fromEntries(
        TOUCHED_SYSCTLS.flatMap((key) => {
          const value = readSysctl(key);
          return value === undefined ? [] : [[key, value]];
        }),
      ),
      kubepodsExisted: ['/sys/fs/cgroup/memory/kubepods', '/sys/fs/cgroup/kubepods'].some(existsSync),
      createdHostPaths: HOST_PATHS.filter((path) => !existsSync(path)),
    };
    writeRecord(record);
    onExitFirst(() => cleanUpSynchronously(process.pid));
    const processes: ManagedProcess[] = [];
    const started = (proc: ManagedProcess) => {
      processes.push(proc);
      if (proc.pid) record.pids[proc.name] = proc.pid;
      writeRecord(record);
      return proc;
    };
    try {
      const containerd = await startContainerd(assets, join(dataDir, 'containerd'), runtimeDir, network);
      started(containerd.process);
      await containerd.importArchive(await writePauseImage(join(dataDir, 'pause-image')));
      await startComponents(ctx, assets, dataDir, containerd, network.subnet, started);
      const node = new Node(NODE_NAME, containerd, record, processes, ctx.log);
      await waitFor(
        `Node ${NODE_NAME} Ready (logs: ${dataDir}/*/*.log)`,
        async () => {
          const ready = await ctx.kubectl([
            'get',
            'node',
            NODE_NAME,
            '-o',
            'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
          ]);
          return ready === 'True';
        },
        120_000,
        () => processes.some((p) => p.hasExited()),
      );
      // Pods are admitted only once their namespace has its `default` ServiceAccount, which the
      // controller-manager makes a moment after it starts: until then `kubectl run` is refused.
      await waitFor(
        'the default ServiceAccount of namespace default',
        async () =>
          (await ctx.kubectl(['get', 'serviceaccount', 'default', '-n', 'default', '-o', 'name'])).trim() ===
          'serviceaccount/default',
        60_000,
        () => processes.some((p) => p.hasExited()),
      );
      return node;
    } catch (err) {
      await Promise.all(processes.map((p) => p.stop(5_000)));
      await teardownNode(record, ctx.log);
      releaseNodeLock();
      throw err;
    }
  }

  /** Imports an image archive (`podman save --format oci-archive` or docker-archive) into the node. */
  importImage(archive: string): Promise<string[]> {
    return this.containerd.importArchive(archive);
  }

  /** The folder holding the node's components' folders (logs: <dir>/<component>/<component>.log). */
  get directory(): string {
    return this.record.dataDir;
  }

  /** Where containerd keeps the state of a running container: init.pid, the bundle. */
  get runtimeDirectory(): string {
    return this.record.runtimeDir;
  }

  /**
   * The host PID of a container's first process, from a Pod's containerID (containerd://<id>):
   * there is no user namespace, so its /proc/PID/status shows the IDs and capabilities it runs with.
   */
  containerPid(containerId: string): number {
    const id = containerId.replace(/^containerd:\/\//, '');
    const pid = Number(readFileSync(join(taskDir(this.record.runtimeDir), id, 'init.pid'), 'utf8').trim());
    if (!pid) throw new Error(`[testenv] no process for container ${id}`);
    return pid;
  }

  /** Stops the components, kills every container, and undoes all the node did to the machine. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // The kubelet first, gracefully: it would restart the containers killed below.
    for (const proc of this.processes) if (proc.name !== 'containerd') await proc.stop(10_000);
    await teardownNode(this.record, this.log);
    for (const proc of this.processes) await proc.kill();
    releaseNodeLock();
  }
}

async function startComponents(
  ctx: NodeContext,
  assets: NodeAssets,
  dataDir: string,
  containerd: Containerd,
  podCidr: string,
  started: (proc: ManagedProcess) => ManagedProcess,
): Promise<void> {
  const credentials = async (component: string, subject: string) => {
    const dir = join(dataDir, component);
    mkdirSync(dir, { recursive: true });
    const cert = await ctx.ca.issue({ subject, usage: 'client' });
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      kubeconfigYaml({
        server: ctx.server,
        caPem: ctx.ca.certPem,
        user: subject,
        credentials: { clientCertPem: cert.certPem, clientKeyPem: cert.keyPem },
      }),
      { mode: 0o600 },
    );
    return { dir, kubeconfig };
  };
  const serving = async (dir: string, ipAddresses: string[], dnsNames: string[] = []) => {
    const cert = await ctx.ca.issue({ subject: 'CN=serving', usage: 'server', ipAddresses, dnsNames });
    const tlsCertFile = join(dir, 'serving.crt');
    const tlsKeyFile = join(dir, 'serving.key');
    writeFileSync(tlsCertFile, cert.certPem);
    writeFileSync(tlsKeyFile, cert.keyPem, { mode: 0o600 });
    return { tlsCertFile, tlsKeyFile };
  };

  // The users Kubernetes' default RBAC binds each component's ClusterRole to.
  const kcm = await credentials('kube-controller-manager', 'CN=system:kube-controller-manager');
  started(
    await startControllerManager(
      assets.kubeControllerManager,
      { ...kcm, ...(await serving(kcm.dir, ['127.0.0.1'])), caFile: ctx.caFile, caPem: ctx.ca.certPem },
      { serviceAccountKeyFile: ctx.serviceAccountKeyFile, serviceCidr: ctx.serviceCidr },
    ),
  );
  const scheduler = await credentials('kube-scheduler', 'CN=system:kube-scheduler');
  started(
    await startScheduler(assets.kubeScheduler, {
      ...scheduler,
      ...(await serving(scheduler.dir, ['127.0.0.1'])),
      caFile: ctx.caFile,
      caPem: ctx.ca.certPem,
    }),
  );
  // The Node authorizer knows a kubelet by this name and group.
  const kubelet = await credentials('kubelet', `CN=system:node:${NODE_NAME}, O=system:nodes`);
  started(
    await startKubelet({
      binary: assets.kubelet,
      dir: kubelet.dir,
      nodeName: NODE_NAME,
      nodeIp: ctx.hostIp,
      kubeconfig: kubelet.kubeconfig,
      caFile: ctx.caFile,
      ...(await serving(kubelet.dir, [ctx.hostIp, '127.0.0.1'], [NODE_NAME])),
      containerdSocket: containerd.socket,
    }),
  );
  const proxy = await credentials('kube-proxy', 'CN=system:kube-proxy');
  started(
    await startKubeProxy(assets.kubeProxy, {
      dir: proxy.dir,
      kubeconfig: proxy.kubeconfig,
      nodeName: NODE_NAME,
      podCidr,
    }),
  );
}

/**
 * On the process's exit (no await possible there), a child cleans up this node from its record,
 * before the control plane's folder, which holds the node's mounts, is removed.
 */
function cleanUpSynchronously(ownerPid: number): void {
  const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
  if (!existsSync(cli)) return;
  spawnSync(process.execPath, [cli, 'clean-node', `--owner=${ownerPid}`], {
    stdio: 'ignore',
    timeout: 120_000,
  });
}
