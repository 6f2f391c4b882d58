import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type {} from 'vitest';
import { kubeconfigYaml } from './kubeconfig.js';
import { trackTempDir } from './processes.js';

// What vitest's global setup (vitest-setup.ts) hands to test files: `inject('testenv')`.
declare module 'vitest' {
  export interface ProvidedContext {
    testenv: ClusterInfo;
  }
}

/**
 * What a test process needs to reach a cluster. Serializable: vitest's global setup starts the
 * control plane and hands this to every test file.
 */
export interface ClusterInfo {
  /** An admin kubeconfig file. */
  kubeconfigPath: string;
  /** https://127.0.0.1:PORT */
  server: string;
  /** The CA that signed the apiserver's serving certificate. */
  caPem: string;
  /** The kubectl to run, of the control plane's version. */
  kubectlPath: string;
  /** True when the tests run against an existing cluster (USE_EXISTING_CLUSTER=true). */
  existing: boolean;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The client side of a cluster: kubectl, namespaces, and credentials for ServiceAccounts. */
export class Cluster {
  constructor(readonly info: ClusterInfo) {}

  /** A client as the admin user. */
  adminConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.info.kubeconfigPath);
    return kc;
  }

  /** Runs the real kubectl, as the admin unless another kubeconfig is given; never throws on a non-zero exit. */
  kubectl(args: string[], options: { input?: string; kubeconfig?: string } = {}): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        this.info.kubectlPath,
        [`--kubeconfig=${options.kubeconfig ?? this.info.kubeconfigPath}`, ...args],
        { maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err && typeof err.code === 'number' ? err.code : err ? -1 : 0;
          if (err && code === -1 && !stderr) return reject(err);
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end(options.input);
    });
  }

  /** kubectl that throws with its stderr when it fails. */
  async kubectlOk(args: string[], options: { input?: string; kubeconfig?: string } = {}): Promise<string> {
    const result = await this.kubectl(args, options);
    if (result.code !== 0)
      throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return result.stdout;
  }

  /**
   * Creates a namespace with a fresh random suffix. Namespaces are never reused: without a
   * controller-manager, a deleted namespace stays Terminating forever.
   */
  async createNamespace(prefix = 'test'): Promise<string> {
    const name = `${prefix}-${randomBytes(4).toString('hex')}`;
    await this.adminConfig()
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name } } });
    return name;
  }

  /** Creates the namespace if it is missing (for fixed names such as guitarcenter). */
  async ensureNamespace(name: string): Promise<void> {
    await this.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    });
  }

  /** Creates the ServiceAccount if missing; there is no controller-manager to make default ones. */
  async ensureServiceAccount(namespace: string, name: string): Promise<void> {
    await this.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }),
    });
  }

  /**
   * Lets a ServiceAccount do what `rules` allow in `namespace`: a Role and a RoleBinding, both named
   * `name`, as an administrator granting a person would.
   */
  async grantRole(
    namespace: string,
    name: string,
    rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>,
    serviceAccount: { namespace: string; name: string },
  ): Promise<void> {
    const rbac = 'rbac.authorization.k8s.io';
    const metadata = { name, namespace };
    await this.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: `${rbac}/v1`, kind: 'Role', metadata, rules },
          {
            apiVersion: `${rbac}/v1`,
            kind: 'RoleBinding',
            metadata,
            roleRef: { apiGroup: rbac, kind: 'Role', name },
            subjects: [{ kind: 'ServiceAccount', ...serviceAccount }],
          },
        ],
      }),
    });
  }

  /** A bound token for a ServiceAccount, from the TokenRequest API. */
  async tokenFor(namespace: string, serviceAccount: string, expirationSeconds = 3600): Promise<string> {
    const api = this.adminConfig().makeApiClient(CoreV1Api);
    const result = await api.createNamespacedServiceAccountToken({
      name: serviceAccount,
      namespace,
      body: { spec: { audiences: [], expirationSeconds } },
    });
    const token = result.status?.token;
    if (!token) throw new Error(`no token returned for ${namespace}/${serviceAccount}`);
    return token;
  }

  /** A kubeconfig file (and client) that acts as the ServiceAccount. */
  async kubeconfigFor(namespace: string, serviceAccount: string): Promise<{ path: string; kc: KubeConfig }> {
    const token = await this.tokenFor(namespace, serviceAccount);
    const dir = this.tempDir('kubeconfig');
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      kubeconfigYaml({
        server: this.info.server,
        caPem: this.info.caPem,
        user: `system:serviceaccount:${namespace}:${serviceAccount}`,
        credentials: { token },
        namespace,
      }),
      { mode: 0o600 },
    );
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    return { path, kc };
  }

  /**
   * A folder laid out as a pod's service-account mount (token, ca.crt, namespace) and the
   * environment a pod gets, so in-cluster mode runs here against 127.0.0.1. Pass `root` as
   * client-node's loadFromCluster(pathPrefix).
   */
  async inClusterRoot(
    namespace: string,
    serviceAccount: string,
  ): Promise<{ root: string; env: { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string } }> {
    const token = await this.tokenFor(namespace, serviceAccount);
    const root = this.tempDir('incluster');
    const dir = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(dir, { recursive: true });
    // No trailing newlines: client-node reads these files as they are.
    writeFileSync(join(dir, 'token'), token, { mode: 0o600 });
    writeFileSync(join(dir, 'ca.crt'), this.info.caPem);
    writeFileSync(join(dir, 'namespace'), namespace);
    const url = new URL(this.info.server);
    return {
      root,
      env: { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port || '443' },
    };
  }

  private tempDir(kind: string): string {
    const dir = mkdtempSync(join(tmpdir(), `guitars-testenv-${kind}-`));
    trackTempDir(dir);
    return dir;
  }
}
