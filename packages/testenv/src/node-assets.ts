import { join } from 'node:path';
import { cacheDir, isExecutable } from './assets.js';
import { runBuildScript } from './build-script.js';
import { CONTAINERD_VERSION, KUBERNETES_VERSION } from './versions.js';

/** A node's binaries, built from source; runc and the CNI plugins come from Debian (hostTools). */
export interface NodeAssets {
  kubelet: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubeProxy: string;
  containerd: string;
  ctr: string;
  /** The folder holding containerd-shim-runc-v2: containerd finds its shim on PATH. */
  binDir: string;
}

const FILES = {
  kubelet: 'kubelet',
  kubeControllerManager: 'kube-controller-manager',
  kubeScheduler: 'kube-scheduler',
  kubeProxy: 'kube-proxy',
  containerd: 'containerd',
  ctr: 'ctr',
} as const;

/** ~/.cache/guitars-testenv/<kubernetes version>/node-containerd-<version>. */
export function nodeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), `node-containerd-${CONTAINERD_VERSION}`);
}

/**
 * The node's binaries from the cache; when any is missing, builds them all from the Go module
 * proxy first (about 15 minutes on 2 idle cores with kube-apiserver's packages already in Go's
 * build cache; once).
 */
export async function ensureNodeAssets(
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  env: NodeJS.ProcessEnv = process.env,
): Promise<NodeAssets> {
  const dir = nodeCacheDir(env);
  const found = resolveIn(dir);
  if (found) return found;
  log(
    `[testenv] no node binaries in ${dir}; building the kubelet, kube-controller-manager, ` +
      `kube-scheduler, kube-proxy ${KUBERNETES_VERSION} and containerd ${CONTAINERD_VERSION} from the ` +
      "Go module proxy (once; Ctrl-C is safe, the next run resumes from Go's build cache).",
  );
  await runBuildScript('build-node.sh', [KUBERNETES_VERSION, CONTAINERD_VERSION, dir], 'the node', log);
  const built = resolveIn(dir);
  if (!built) throw new Error(`[testenv] the node build finished but ${dir} lacks its binaries`);
  return built;
}

function resolveIn(dir: string): NodeAssets | undefined {
  const paths = Object.fromEntries(
    Object.entries(FILES).map(([key, file]) => [key, join(dir, file)]),
  ) as Omit<NodeAssets, 'binDir'>;
  const all = [...Object.values(paths), join(dir, 'containerd-shim-runc-v2')];
  return all.every(isExecutable) ? { ...paths, binDir: dir } : undefined;
}
