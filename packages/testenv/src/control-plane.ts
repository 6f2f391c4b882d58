import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type Assets, ensureAssets } from './assets.js';
import { Cluster } from './cluster.js';
import { type Etcd, startEtcd } from './etcd.js';
import { defaultRouteAddress } from './host.js';
import { type ApiserverFiles, prepareApiserver, SERVICE_CIDR, startApiserver } from './kube-apiserver.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { Node } from './node.js';
import { createCertificateAuthority, serviceAccountKeys } from './pki.js';
import { freePort } from './ports.js';
import { type ManagedProcess, removeTempDir, trackTempDir } from './processes.js';

/** The `kubernetes` Service's address: the first of SERVICE_CIDR. */
const KUBERNETES_SERVICE_IP = '10.0.0.1';

export interface StartOptions {
  /** Where to write the admin kubeconfig (default: inside the control plane's temp folder). */
  kubeconfigPath?: string;
  /** Progress lines (the first run builds the binaries for minutes). Default: stderr. */
  log?: (line: string) => void;
  /**
   * Also a node (node.ts): kube-controller-manager, kube-scheduler, a kubelet with containerd,
   * kube-proxy; root only. The apiserver then listens on every address (pods reach it at the
   * host's), authorizes with Node,RBAC and admits with ServiceAccount and NodeRestriction.
   */
  node?: boolean;
}

/**
 * A real control plane on this machine: etcd and kube-apiserver on loopback ports, an admin user
 * (client certificate in system:masters) and the real kubectl. Without `node: true`, no
 * controller-manager, scheduler or kubelet: namespaces never finish deleting, no garbage
 * collection, no default ServiceAccounts, no pods.
 */
export class ControlPlane extends Cluster {
  private apiserver: ManagedProcess | undefined;
  private stopped = false;
  /** The node, when started with `node: true`. */
  node: Node | undefined;

  private constructor(
    info: Cluster['info'],
    private readonly assets: Assets,
    private readonly dir: string,
    private readonly etcd: Etcd,
    private readonly apiserverFiles: ApiserverFiles,
    apiserver: ManagedProcess,
  ) {
    super(info);
    this.apiserver = apiserver;
  }

  static async start(options: StartOptions = {}): Promise<ControlPlane> {
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const assets = await ensureAssets(log);
    const dir = mkdtempSync(join(tmpdir(), 'guitars-testenv-'));
    trackTempDir(dir);
    let etcd: Etcd | undefined;
    let plane: ControlPlane | undefined;
    try {
      etcd = await startEtcd(assets.etcd, dir);
      const port = await freePort();
      const server = `https://127.0.0.1:${port}`;
      const ca = await createCertificateAuthority('guitars-testenv-ca');
      const hostIp = options.node ? defaultRouteAddress() : undefined;
      const serving = await ca.issue({
        subject: 'CN=kube-apiserver',
        usage: 'server',
        dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
        // Pods reach it as the `kubernetes` Service (10.0.0.1), which leads to the host's address.
        ipAddresses: ['127.0.0.1', ...(hostIp ? [KUBERNETES_SERVICE_IP, hostIp] : [])],
      });
      const admin = await ca.issue({ subject: 'CN=admin, O=system:masters', usage: 'client' });
      const nodeAccess = hostIp
        ? {
            advertiseAddress: hostIp,
            kubeletClient: await ca.issue({
              subject: 'CN=kube-apiserver-kubelet-client, O=system:masters',
              usage: 'client',
            }),
          }
        : undefined;
      const files = prepareApiserver(dir, port, etcd.url, ca, serving, serviceAccountKeys(), nodeAccess);
      const apiserver = await startApiserver(assets.kubeApiserver, files, server);

      const kubeconfigPath = resolve(options.kubeconfigPath ?? join(dir, 'kubeconfig'));
      mkdirSync(dirname(kubeconfigPath), { recursive: true });
      writeFileSync(
        kubeconfigPath,
        kubeconfigYaml({
          server,
          caPem: ca.certPem,
          user: 'admin',
          credentials: { clientCertPem: admin.certPem, clientKeyPem: admin.keyPem },
        }),
        { mode: 0o600 },
      );
      const info = {
        kubeconfigPath,
        server,
        caPem: ca.certPem,
        kubectlPath: assets.kubectl,
        existing: false,
      };
      plane = new ControlPlane(info, assets, dir, etcd, files, apiserver);
      if (hostIp)
        plane.node = await Node.start({
          dir,
          server,
          ca,
          caFile: join(dir, 'ca.crt'),
          serviceAccountKeyFile: join(dir, 'sa.key'),
          serviceCidr: SERVICE_CIDR,
          hostIp,
          kubectl: (args) => (plane as ControlPlane).kubectlOk(args),
          log,
        });
      return plane;
    } catch (err) {
      await plane?.apiserver?.kill();
      await etcd?.process.kill();
      removeTempDir(dir);
      throw err;
    }
  }

  /** The temp folder holding etcd's data, certificates and logs (removed by stop()). */
  get directory(): string {
    return this.dir;
  }

  /** The pids of etcd and kube-apiserver (while they run). */
  pids(): number[] {
    return [this.etcd.process, this.apiserver]
      .filter((p): p is ManagedProcess => p !== undefined && !p.hasExited())
      .flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
  }

  /** Stops kube-apiserver (SIGTERM), leaving etcd and its data: the cluster is "down". */
  async stopApiserver(): Promise<void> {
    await this.apiserver?.stop();
    this.apiserver = undefined;
  }

  /** Kills kube-apiserver with SIGKILL: connections drop without a goodbye. */
  async killApiserver(): Promise<void> {
    await this.apiserver?.kill();
    this.apiserver = undefined;
  }

  /** Starts kube-apiserver again on the same port, with the same certificates and data. */
  async startApiserver(): Promise<void> {
    if (this.apiserver && !this.apiserver.hasExited()) return;
    this.apiserver = await startApiserver(this.assets.kubeApiserver, this.apiserverFiles, this.info.server);
  }

  async restartApiserver(): Promise<void> {
    await this.stopApiserver();
    await this.startApiserver();
  }

  /** Compacts etcd up to its current revision: watches resumed from before it get 410 Gone. */
  compactEtcd(): Promise<number> {
    return this.etcd.compact();
  }

  /** Stops everything and removes every file it wrote, the kubeconfig included. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.node?.stop();
    await this.apiserver?.stop();
    await this.etcd.process.stop();
    removeTempDir(this.dir);
    // A kubeconfig left behind would point at a server that is gone.
    rmSync(this.info.kubeconfigPath, { force: true });
  }
}

export function startControlPlane(options?: StartOptions): Promise<ControlPlane> {
  return ControlPlane.start(options);
}
