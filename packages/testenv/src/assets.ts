import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { runBuildScript } from './build-script.js';
import { ETCD_VERSION, KUBERNETES_VERSION } from './versions.js';

export interface Assets {
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
}

const BINARIES = { etcd: 'etcd', kubeApiserver: 'kube-apiserver', kubectl: 'kubectl' } as const;
const ENV_NAMES = {
  etcd: 'TEST_ASSET_ETCD',
  kubeApiserver: 'TEST_ASSET_KUBE_APISERVER',
  kubectl: 'TEST_ASSET_KUBECTL',
} as const;

/** Where built binaries are kept between runs: ~/.cache/guitars-testenv/<version>. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'guitars-testenv', KUBERNETES_VERSION);
}

/**
 * Finds etcd, kube-apiserver and kubectl, in this order: TEST_ASSET_* variables (one binary
 * each), KUBEBUILDER_ASSETS (a folder, as setup-envtest lays it out), the build cache; and when
 * none has them, builds them from the Go module proxy into the cache (minutes, once).
 */
export async function ensureAssets(
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  env: NodeJS.ProcessEnv = process.env,
): Promise<Assets> {
  const folders = [env.KUBEBUILDER_ASSETS, cacheDir(env)].filter((f): f is string => Boolean(f));
  const found = resolve(folders, env);
  if (found) return found;

  const cache = cacheDir(env);
  log(
    `[testenv] no etcd/kube-apiserver/kubectl found (TEST_ASSET_*, KUBEBUILDER_ASSETS, ${cache}); ` +
      `building Kubernetes ${KUBERNETES_VERSION} and etcd ${ETCD_VERSION} from the Go module proxy. ` +
      'The first build takes about 10 minutes on 2 idle cores, more on a busy machine; later runs ' +
      "reuse it. Ctrl-C is safe: the next run resumes from Go's build cache.",
  );
  await build(cache, log);
  const built = resolve([cache], env);
  if (!built) throw new Error(`[testenv] the build finished but ${cache} lacks its binaries`);
  return built;
}

function resolve(folders: string[], env: NodeJS.ProcessEnv): Assets | undefined {
  const result: Partial<Assets> = {};
  for (const key of Object.keys(BINARIES) as Array<keyof Assets>) {
    const explicit = env[ENV_NAMES[key]];
    if (explicit) {
      if (!isExecutable(explicit))
        throw new Error(`[testenv] ${ENV_NAMES[key]}=${explicit} is not an executable file`);
      result[key] = explicit;
      continue;
    }
    const hit = folders.map((f) => join(f, BINARIES[key])).find(isExecutable);
    if (!hit) return undefined;
    result[key] = hit;
  }
  return result as Assets;
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return existsSync(path);
  } catch {
    return false;
  }
}

function build(outDir: string, log: (line: string) => void): Promise<void> {
  return runBuildScript(
    'build-assets.sh',
    [KUBERNETES_VERSION, ETCD_VERSION, outDir],
    'the control plane',
    log,
  );
}
