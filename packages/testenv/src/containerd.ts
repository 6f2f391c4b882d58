import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CNI_BIN_DIR, type PodNetwork } from './cni.js';
import { run, runOk } from './host.js';
import { waitFor } from './http.js';
import type { NodeAssets } from './node-assets.js';
import { containerdSocket } from './node-teardown.js';
import { PAUSE_IMAGE } from './pause-image.js';
import { type ManagedProcess, startProcess } from './processes.js';

export const RUNC = '/usr/sbin/runc';
/** The containerd namespace the CRI plugin keeps Kubernetes' images and containers in. */
const NAMESPACE = 'k8s.io';

export interface Containerd {
  process: ManagedProcess;
  socket: string;
  /** ctr against this containerd, in the k8s.io namespace; throws when it fails. */
  ctr(args: string[], timeoutMs?: number): Promise<string>;
  /** Imports an OCI or docker archive; returns the names it stored. */
  importArchive(archive: string): Promise<string[]>;
}

/**
 * containerd 2 with its CRI plugin, everything in folders of the node's: images and snapshots in
 * `dataDir`, state, sockets, network namespaces and runc's state in `runtimeDir` (short paths:
 * the shims' sockets must fit in 107 bytes). Debian's runc (crun refuses hybrid cgroups).
 */
export async function startContainerd(
  assets: NodeAssets,
  dataDir: string,
  runtimeDir: string,
  network: PodNetwork,
): Promise<Containerd> {
  mkdirSync(dataDir, { recursive: true });
  const socket = containerdSocket(runtimeDir);
  const config = join(dataDir, 'config.toml');
  writeFileSync(config, containerdConfig(dataDir, runtimeDir, network));
  const proc = startProcess(
    'containerd',
    assets.containerd,
    ['--config', config, '--log-level', 'info'],
    join(dataDir, 'containerd.log'),
    // containerd looks for containerd-shim-runc-v2 on its PATH.
    { PATH: `${assets.binDir}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` },
  );
  const ctr = async (args: string[], timeoutMs = 300_000) =>
    runOk(assets.ctr, ['--address', socket, '--namespace', NAMESPACE, ...args], timeoutMs);
  await waitFor(
    `containerd (log: ${join(dataDir, 'containerd.log')})`,
    async () => (await run(assets.ctr, ['--address', socket, 'version'], 5_000)).code === 0,
    30_000,
    proc.hasExited,
  );
  return {
    process: proc,
    socket,
    ctr,
    async importArchive(archive) {
      const out = await ctr(['images', 'import', '--snapshotter', 'overlayfs', '--local', archive], 600_000);
      // "unpacking docker.io/library/x:1 (sha256:...)...done"
      return [...out.matchAll(/unpacking (\S+) \(sha256:/g)].map((m) => m[1] as string);
    },
  };
}

function containerdConfig(dataDir: string, runtimeDir: string, network: PodNetwork): string {
  const q = JSON.stringify;
  return `# Written by @guitars/testenv for one node; nothing here is the host's containerd.
version = 3
root = ${q(join(dataDir, 'root'))}
state = ${q(join(runtimeDir, 'containerd'))}
# /opt/containerd and the NRI socket in /var/run would be the host's.
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.nri.v1.nri"]

[grpc]
  address = ${q(containerdSocket(runtimeDir))}

[ttrpc]
  address = ${q(`${containerdSocket(runtimeDir)}.ttrpc`)}

[plugins."io.containerd.shim.v1.manager"]
  socket_dir = ${q(join(runtimeDir, 's'))}

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = ${q(PAUSE_IMAGE)}

[plugins."io.containerd.cri.v1.runtime"]
  # This VM lets no process lower its oom_score_adj: without this every sandbox fails with
  # "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  cdi_spec_dirs = []
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = ${q(RUNC)}
        Root = ${q(join(runtimeDir, 'runc'))}
        SystemdCgroup = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = [${q(CNI_BIN_DIR)}]
    conf_dir = ${q(network.confDir)}

[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`;
}
