import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { httpRequest, waitFor } from './http.js';
import { freePort } from './ports.js';
import { type ManagedProcess, startProcess } from './processes.js';

/** What kube-controller-manager and kube-scheduler share: identity, and a serving certificate. */
export interface ComponentFiles {
  dir: string;
  /** A kubeconfig as the component's user (system:kube-controller-manager, system:kube-scheduler). */
  kubeconfig: string;
  caFile: string;
  /** A serving certificate for 127.0.0.1 from the cluster's CA, so /healthz can be checked. */
  tlsCertFile: string;
  tlsKeyFile: string;
  caPem: string;
}

/** Starts a component that serves /healthz over TLS on a loopback port, and waits until it answers. */
async function startServing(
  name: string,
  binary: string,
  files: ComponentFiles,
  args: string[],
): Promise<ManagedProcess> {
  mkdirSync(files.dir, { recursive: true });
  const port = await freePort();
  const logFile = join(files.dir, `${name}.log`);
  const proc = startProcess(
    name,
    binary,
    [
      `--kubeconfig=${files.kubeconfig}`,
      `--authentication-kubeconfig=${files.kubeconfig}`,
      `--authorization-kubeconfig=${files.kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--tls-cert-file=${files.tlsCertFile}`,
      `--tls-private-key-file=${files.tlsKeyFile}`,
      // One of each: nothing to elect, and no Lease to wait for at start.
      '--leader-elect=false',
      ...args,
    ],
    logFile,
  );
  await waitFor(
    `${name} (log: ${logFile})`,
    async () =>
      (await httpRequest(`https://127.0.0.1:${port}/healthz`, { tls: { ca: files.caPem } })).status === 200,
    60_000,
    proc.hasExited,
  );
  return proc;
}

/**
 * kube-controller-manager, each controller with its own ServiceAccount's credentials as kubeadm
 * runs it: Deployments make ReplicaSets and Pods, namespaces finish deleting, the
 * kube-root-ca.crt ConfigMap every pod's token volume needs is published, and so on.
 */
export function startControllerManager(
  binary: string,
  files: ComponentFiles,
  cluster: { serviceAccountKeyFile: string; serviceCidr: string },
): Promise<ManagedProcess> {
  return startServing('kube-controller-manager', binary, files, [
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${cluster.serviceAccountKeyFile}`,
    `--root-ca-file=${files.caFile}`,
    `--service-cluster-ip-range=${cluster.serviceCidr}`,
    // The CNI config gives the one node its pod range.
    '--allocate-node-cidrs=false',
  ]);
}

export function startScheduler(binary: string, files: ComponentFiles): Promise<ManagedProcess> {
  return startServing('kube-scheduler', binary, files, []);
}

/**
 * kube-proxy in iptables mode, so that Services route: from the host (the tests) and from pods.
 * It leaves the conntrack table's size alone (0): the machine's, not the test's.
 */
export async function startKubeProxy(
  binary: string,
  options: { dir: string; kubeconfig: string; nodeName: string; podCidr: string },
): Promise<ManagedProcess> {
  mkdirSync(options.dir, { recursive: true });
  const healthz = await freePort();
  const metrics = await freePort();
  const config = {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig: options.kubeconfig },
    mode: 'iptables',
    clusterCIDR: options.podCidr,
    hostnameOverride: options.nodeName,
    healthzBindAddress: `127.0.0.1:${healthz}`,
    metricsBindAddress: `127.0.0.1:${metrics}`,
    conntrack: { maxPerCore: 0, min: 0 },
  };
  const configFile = join(options.dir, 'config.yaml');
  writeFileSync(configFile, dump(config));
  const logFile = join(options.dir, 'kube-proxy.log');
  const proc = startProcess('kube-proxy', binary, [`--config=${configFile}`, '--v=2'], logFile);
  await waitFor(
    `kube-proxy (log: ${logFile})`,
    async () => (await httpRequest(`http://127.0.0.1:${healthz}/healthz`)).status === 200,
    60_000,
    proc.hasExited,
  );
  return proc;
}
