import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive } from './host.js';

/**
 * Where a node keeps what must be short (containerd's and its shims' sockets: a unix socket path
 * has 107 bytes) and what outlives a killed test: its record, read by the next start to clean up.
 * /run is emptied by a reboot, as are the processes, mounts and interfaces the record names.
 */
export const RUNTIME_BASE = '/run/guitars-testenv';
const LOCK = join(RUNTIME_BASE, 'node.lock');

/** Everything a node started or changed on the machine, so that anyone can undo it by PID and path. */
export interface NodeRecord {
  /** The process that started the node: while it lives, the node is its own. */
  ownerPid: number;
  /** containerd's state and sockets, the shims' sockets, runc's state (short paths). */
  runtimeDir: string;
  /** Each component's folder: containerd's images, the kubelet's pods, logs, configs. */
  dataDir: string;
  /** The node's binaries (a recorded PID counts only while it runs one of these). */
  binDir: string;
  /** The CNI network's bridge, created by the bridge plugin on the first pod. */
  bridge: string;
  /** The CNI network's name (its results cache files start with it). */
  network: string;
  /** Each component's PID, by binary name, once started. */
  pids: Record<string, number>;
  /** Sysctls as they were before the kubelet and the bridge plugin set them. */
  sysctls: Record<string, string>;
  /** Whether a kubepods cgroup existed before (then it is not ours to remove). */
  kubepodsExisted: boolean;
  /** Host folders the node's components make where none was (removed with what is in them). */
  createdHostPaths?: string[];
}

export function recordPath(runtimeDir: string): string {
  return join(runtimeDir, 'node.json');
}

export function writeRecord(record: NodeRecord): void {
  writeFileSync(recordPath(record.runtimeDir), `${JSON.stringify(record, null, 2)}\n`);
}

/** The records of nodes whose owner is gone (killed before it could clean up), or is `owner`. */
export function abandonedRecords(owner?: number): NodeRecord[] {
  let entries: string[];
  try {
    entries = readdirSync(RUNTIME_BASE);
  } catch {
    return [];
  }
  const records: NodeRecord[] = [];
  for (const entry of entries) {
    if (!entry.startsWith('node-')) continue;
    try {
      const record = JSON.parse(readFileSync(recordPath(join(RUNTIME_BASE, entry)), 'utf8')) as NodeRecord;
      if (!alive(record.ownerPid) || record.ownerPid === owner) records.push(record);
    } catch {
      // A folder without a readable record: its owner died before writing it; nothing started.
      rmSync(join(RUNTIME_BASE, entry), { recursive: true, force: true });
    }
  }
  return records;
}

/**
 * Takes the machine's one node slot: the bridge, kube-proxy's iptables rules and the kubepods
 * cgroup are the machine's, so two nodes at once would fight over them. A slot whose holder is
 * gone is taken over (its leftovers are cleaned by the caller).
 */
export function takeNodeLock(): void {
  mkdirSync(RUNTIME_BASE, { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(LOCK, 'utf8').trim());
    if (holder && holder !== process.pid && alive(holder))
      throw new Error(
        `[testenv] another node runs on this machine (process ${holder}): one at a time, as its ` +
          'bridge, iptables rules and cgroups are the machine’s',
      );
    rmSync(LOCK, { force: true });
  }
  throw new Error(`[testenv] could not take ${LOCK}`);
}

export function releaseNodeLock(owner = process.pid): void {
  try {
    if (Number(readFileSync(LOCK, 'utf8').trim()) === owner) rmSync(LOCK, { force: true });
  } catch {
    // Not held.
  }
}
