import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpRequest, waitFor } from './http.js';
import type { CertificateAuthority, KeyPairPem } from './pki.js';
import { type ManagedProcess, startProcess } from './processes.js';

/** What changes when a node joins: pods reach the apiserver, and it reaches the kubelet. */
export interface NodeAccess {
  /** The host's address: the `kubernetes` Service's endpoint, which pods reach through kube-proxy. */
  advertiseAddress: string;
  /** The apiserver's client certificate for the kubelet (logs, exec). */
  kubeletClient: KeyPairPem;
}

export interface ApiserverFiles {
  dir: string;
  args: string[];
  caPem: string;
}

/** The Services' addresses; the first, 10.0.0.1, is the `kubernetes` Service's. */
export const SERVICE_CIDR = '10.0.0.0/24';

/**
 * Writes the apiserver's certificates and keys into dir and returns its command line. The same
 * files serve every restart, so clients keep trusting it and tokens stay valid.
 */
export function prepareApiserver(
  dir: string,
  port: number,
  etcdUrl: string,
  ca: CertificateAuthority,
  serving: KeyPairPem,
  saKeys: { publicPem: string; privatePem: string },
  node?: NodeAccess,
): ApiserverFiles {
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const args = [
    `--etcd-servers=${etcdUrl}`,
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'certs')}`,
    `--tls-cert-file=${file('apiserver.crt', serving.certPem)}`,
    `--tls-private-key-file=${file('apiserver.key', serving.keyPem)}`,
    `--client-ca-file=${file('ca.crt', ca.certPem)}`,
    `--service-account-issuer=https://127.0.0.1:${port}/`,
    `--service-account-key-file=${file('sa.pub', saKeys.publicPem)}`,
    `--service-account-signing-key-file=${file('sa.key', saKeys.privatePem)}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--allow-privileged=true',
    ...(node
      ? [
          // Every address: pods reach it at the host's, through the `kubernetes` Service.
          '--bind-address=0.0.0.0',
          `--advertise-address=${node.advertiseAddress}`,
          // As a real cluster: a kubelet reads only what its own pods use, writes only its Node.
          '--authorization-mode=Node,RBAC',
          '--enable-admission-plugins=NodeRestriction',
          `--kubelet-client-certificate=${file('kubelet-client.crt', node.kubeletClient.certPem)}`,
          `--kubelet-client-key=${file('kubelet-client.key', node.kubeletClient.keyPem)}`,
          `--kubelet-certificate-authority=${join(dir, 'ca.crt')}`,
          '--kubelet-preferred-address-types=InternalIP',
        ]
      : [
          '--bind-address=127.0.0.1',
          '--authorization-mode=RBAC',
          // No controller-manager runs, so nothing would create the ServiceAccounts this plugin demands.
          '--disable-admission-plugins=ServiceAccount',
        ]),
  ];
  return { dir, args, caPem: ca.certPem };
}

/** Starts kube-apiserver and waits until /readyz answers ok. */
export async function startApiserver(
  binary: string,
  files: ApiserverFiles,
  server: string,
): Promise<ManagedProcess> {
  const logFile = join(files.dir, 'kube-apiserver.log');
  const proc = startProcess('kube-apiserver', binary, files.args, logFile);
  await waitFor(
    `kube-apiserver (log: ${logFile})`,
    async () => {
      const res = await httpRequest(`${server}/readyz`, { tls: { ca: files.caPem } });
      return res.status === 200;
    },
    60_000,
    proc.hasExited,
  );
  return proc;
}
