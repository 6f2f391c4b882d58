import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConfigOptions {
  /** The environment to read (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Prefix of the service-account folder in a pod; tests point it at a temp folder. */
  inClusterRoot?: string;
  /** The home folder holding .kube/config (default: the user's). */
  home?: string;
}

export type KubeConfigSource = 'in-cluster' | 'kubeconfig';

/** Thrown when no way to reach a cluster was found; its message says what was tried. */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

/**
 * The one way both apps find their cluster. In a pod (KUBERNETES_SERVICE_HOST is set, as the
 * original checked KUBERNETES_PORT) it uses the pod's service account; otherwise the kubeconfig
 * files in KUBECONFIG (merged, as kubectl does), else ~/.kube/config. Unlike
 * KubeConfig.loadFromDefault() it never falls back to http://localhost:8080, whose TLS error
 * hides the real problem.
 */
export function loadKubeConfig(options: KubeConfigOptions = {}): {
  kc: KubeConfig;
  source: KubeConfigSource;
} {
  const env = options.env ?? process.env;
  const kc = new KubeConfig();
  const tried: string[] = [];

  if (env.KUBERNETES_SERVICE_HOST) {
    const root = options.inClusterRoot ?? '';
    const token = `${root}${SERVICE_ACCOUNT_DIR}/token`;
    if (!env.KUBERNETES_SERVICE_PORT) {
      tried.push('in-cluster: KUBERNETES_SERVICE_HOST is set but KUBERNETES_SERVICE_PORT is not');
    } else if (!existsSync(token)) {
      tried.push(`in-cluster: KUBERNETES_SERVICE_HOST is set but ${token} does not exist`);
    } else {
      withEnv(env, () => kc.loadFromCluster(root));
      return { kc, source: 'in-cluster' };
    }
  } else {
    tried.push('in-cluster: KUBERNETES_SERVICE_HOST is not set (not running in a pod)');
  }

  const files = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (files.length > 0) {
    const present = files.filter((f) => existsSync(f));
    if (present.length === 0) {
      tried.push(`KUBECONFIG=${env.KUBECONFIG}: no such file`);
    } else {
      loadFiles(kc, present);
      return { kc, source: 'kubeconfig' };
    }
  } else {
    tried.push('KUBECONFIG is not set');
  }

  const home = options.home ?? homedir();
  const defaultFile = join(home, '.kube', 'config');
  if (files.length === 0 && existsSync(defaultFile)) {
    loadFiles(kc, [defaultFile]);
    return { kc, source: 'kubeconfig' };
  }
  if (files.length === 0) tried.push(`${defaultFile} does not exist`);

  throw new KubeConfigError(`no Kubernetes cluster configured: ${tried.join('; ')}`);
}

/** The namespace of the current context (in a pod: the pod's own namespace), if any. */
export function contextNamespace(kc: KubeConfig): string | undefined {
  const ns = kc.getContextObject(kc.getCurrentContext())?.namespace?.trim();
  return ns ? ns : undefined;
}

function loadFiles(kc: KubeConfig, files: string[]): void {
  const [first, ...rest] = files as [string, ...string[]];
  kc.loadFromFile(first);
  for (const file of rest) {
    const more = new KubeConfig();
    more.loadFromFile(file);
    // As kubectl: the first file that sets current-context wins.
    kc.mergeConfig(more, Boolean(kc.getCurrentContext()));
  }
}

/** loadFromCluster reads process.env itself; lend it the environment we were given. */
function withEnv(env: NodeJS.ProcessEnv, fn: () => void): void {
  const keys = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'] as const;
  const saved = keys.map((k) => process.env[k]);
  try {
    for (const k of keys) process.env[k] = env[k];
    fn();
  } finally {
    keys.forEach((k, i) => {
      const value = saved[i];
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    });
  }
}
