import { existsSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { killAndWait, processesOf, run, runs, unmountUnder, writeSysctl } from './host.js';
import type { NodeRecord } from './node-record.js';

/** Where the shim keeps each container's state, under containerd's state folder. */
export function taskDir(runtimeDir: string): string {
  return join(runtimeDir, 'containerd', 'io.containerd.runtime.v2.task', 'k8s.io');
}

export function containerdSocket(runtimeDir: string): string {
  return join(runtimeDir, 'containerd.sock');
}

/**
 * Undoes everything a node did, from its record alone (the node's owner may have been killed):
 * its processes by PID, then each container and shim, containerd's and the kubelet's mounts, the
 * bridge, kube-proxy's iptables rules, the sysctls, the kubepods cgroup, its files. Touches only
 * what the record names; every step runs even when one before it failed.
 */
export async function teardownNode(record: NodeRecord, log: (line: string) => void): Promise<void> {
  const exe = (name: string) => join(record.binDir, name);
  const step = async (what: string, fn: () => Promise<void> | void) => {
    try {
      await fn();
    } catch (err) {
      log(`[testenv] node clean-up: ${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  // Every container and sandbox ID, while containerd's folders still name them.
  const ids = containerIds(record);
  // The kubelet first: it would restart what is killed below.
  for (const name of ['kubelet', 'kube-proxy', 'kube-scheduler', 'kube-controller-manager']) {
    const pid = record.pids[name];
    if (pid && runs(pid, exe(name))) await step(`stopping ${name}`, () => killAndWait(pid));
  }
  // Each container's first process (the rest of its PID namespace dies with it), checked by its
  // cgroup, which names the container: a PID alone may have been reused.
  await step('killing containers', async () => {
    const tasks = taskDir(record.runtimeDir);
    if (!existsSync(tasks)) return;
    for (const id of readdirSync(tasks)) {
      const pid = readPid(join(tasks, id, 'init.pid'));
      if (pid && readCgroup(pid).includes(id)) await killAndWait(pid);
    }
  });
  const containerd = record.pids.containerd;
  if (containerd && runs(containerd, exe('containerd')))
    await step('stopping containerd', () => killAndWait(containerd));
  await step('killing shims', async () => {
    for (const pid of processesOf(exe('containerd-shim-runc-v2'), containerdSocket(record.runtimeDir)))
      await killAndWait(pid);
  });
  // Container root filesystems, sandbox /dev/shm, network namespaces (under containerd's state
  // folder), the kubelet's tmpfs volumes.
  await step('unmounting', async () => {
    await unmountUnder(record.runtimeDir);
    await unmountUnder(record.dataDir);
  });
  await step(`deleting ${record.bridge}`, async () => {
    if (existsSync(`/sys/class/net/${record.bridge}`)) await run('ip', ['link', 'del', record.bridge]);
  });
  await step("removing kube-proxy's and the kubelet's iptables rules", async () => {
    if (existsSync(exe('kube-proxy'))) await run(exe('kube-proxy'), ['--cleanup', '--v=0'], 60_000);
    await removeKubeletChains();
  });
  await step('restoring sysctls', () => {
    for (const [key, value] of Object.entries(record.sysctls)) writeSysctl(key, value);
  });
  if (!record.kubepodsExisted) await step('removing the kubepods cgroups', removeKubepodsCgroups);
  await step('removing log links, CNI results and host folders', () => {
    removeLinksInto('/var/log/containers', record.dataDir);
    // libcni's cache of each attachment: our network's, and containerd's loopback one per sandbox.
    removeResults('/var/lib/cni/results', record.network, ids);
    // Made by the kubelet (its device-plugin socket's folder is fixed) or libcni, if not there before.
    for (const path of record.createdHostPaths ?? []) rmSync(path, { recursive: true, force: true });
  });
  await step('removing files', () => {
    rmSync(record.dataDir, { recursive: true, force: true });
    rmSync(record.runtimeDir, { recursive: true, force: true });
  });
}

function readPid(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

function readCgroup(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The kubelet's own chains, which kube-proxy --cleanup leaves: its canaries (to notice a flush of
 * the tables), KUBE-IPTABLES-HINT (which iptables mode it used) and KUBE-FIREWALL (drops packets
 * to 127.0.0.0/8 from elsewhere), with the INPUT and OUTPUT rules that jump to it.
 */
async function removeKubeletChains(): Promise<void> {
  for (const tool of ['iptables', 'ip6tables']) {
    for (const table of ['mangle', 'nat', 'filter']) {
      for (const chain of ['KUBE-KUBELET-CANARY', 'KUBE-IPTABLES-HINT']) {
        const listed = await run(tool, ['-t', table, '-S', chain]);
        if (listed.code === 0) {
          await run(tool, ['-t', table, '-F', chain]);
          await run(tool, ['-t', table, '-X', chain]);
        }
      }
    }
    if ((await run(tool, ['-t', 'filter', '-S', 'KUBE-FIREWALL'])).code !== 0) continue;
    for (const from of ['INPUT', 'OUTPUT'])
      while ((await run(tool, ['-t', 'filter', '-D', from, '-j', 'KUBE-FIREWALL'])).code === 0);
    await run(tool, ['-t', 'filter', '-F', 'KUBE-FIREWALL']);
    await run(tool, ['-t', 'filter', '-X', 'KUBE-FIREWALL']);
  }
}

/** The IDs of the node's containers and pod sandboxes: its tasks, and the CRI's sandbox folders. */
function containerIds(record: NodeRecord): Set<string> {
  const ids = new Set<string>();
  const sandboxes = join(record.dataDir, 'containerd', 'root', 'io.containerd.grpc.v1.cri', 'sandboxes');
  for (const dir of [taskDir(record.runtimeDir), sandboxes]) {
    try {
      for (const id of readdirSync(dir)) ids.add(id);
    } catch {
      // Not made yet.
    }
  }
  return ids;
}

/** kubepods in each cgroup v1 hierarchy (and v2's), deepest folders first: rmdir only takes empty ones. */
function removeKubepodsCgroups(): void {
  const root = '/sys/fs/cgroup';
  const tops = readdirSync(root).map((c) => join(root, c, 'kubepods'));
  tops.push(join(root, 'kubepods'));
  for (const top of tops) if (existsSync(top)) removeCgroupTree(top);
}

function removeCgroupTree(dir: string): void {
  let entries: import('node:fs').Dirent[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
  try {
    rmdirSync(dir);
  } catch {
    // Still holds a process (not ours to kill), or is a controller's root.
  }
}

function removeLinksInto(dir: string, target: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    try {
      if (readlinkSync(join(dir, name)).startsWith(`${target}/`)) rmSync(join(dir, name), { force: true });
    } catch {
      // Not a link.
    }
  }
}

/** libcni names a result `<network>-<container ID>-<interface>`. */
function removeResults(dir: string, network: string, ids: Set<string>): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const id = /-([0-9a-f]{64})-[^-]+$/.exec(name)?.[1];
    if (name.startsWith(`${network}-`) || (id && ids.has(id))) rmSync(join(dir, name), { force: true });
  }
}
