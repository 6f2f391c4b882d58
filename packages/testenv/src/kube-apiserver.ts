import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpRequest, waitFor } from './http.js';
import type { CertificateAuthority, KeyPairPem } from './pki.js';
import { type ManagedProcess, startProcess } from './processes.js';

export interface ApiserverFiles {
  dir: string;
  args: string[];
  caPem: string;
}

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
): ApiserverFiles {
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const args = [
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=127.0.0.1`,
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'certs')}`,
    `--tls-cert-file=${file('apiserver.crt', serving.certPem)}`,
    `--tls-private-key-file=${file('apiserver.key', serving.keyPem)}`,
    `--client-ca-file=${file('ca.crt', ca.certPem)}`,
    '--authorization-mode=RBAC',
    `--service-account-issuer=https://127.0.0.1:${port}/`,
    `--service-account-key-file=${file('sa.pub', saKeys.publicPem)}`,
    `--service-account-signing-key-file=${file('sa.key', saKeys.privatePem)}`,
    // No controller-manager runs, so nothing would create the ServiceAccounts this plugin demands.
    '--disable-admission-plugins=ServiceAccount',
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
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
