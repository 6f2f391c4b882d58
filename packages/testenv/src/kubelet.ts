import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { httpRequest, waitFor } from './http.js';
import { freePort } from './ports.js';
import { type ManagedProcess, startProcess } from './processes.js';

export interface KubeletOptions {
  binary: string;
  dir: string;
  nodeName: string;
  nodeIp: string;
  /** Its client identity (system:node:<name> in system:nodes), for the Node authorizer. */
  kubeconfig: string;
  /** The CA the apiserver's kubelet client certificate is checked against. */
  caFile: string;
  /** Its serving certificate (the apiserver checks it for logs and exec). */
  tlsCertFile: string;
  tlsKeyFile: string;
  containerdSocket: string;
}

/**
 * A kubelet as a node of the test cluster runs it, everything under `dir` (its root, pod logs).
 * The settings this machine needs: cgroup v1 is refused since 1.35 unless failCgroupV1 is false;
 * cgroupfs, not systemd; swap tolerated. Thresholds low enough that a test machine's disk never
 * makes it evict the pods under test.
 */
export async function startKubelet(options: KubeletOptions): Promise<ManagedProcess> {
  const { dir } = options;
  const root = join(dir, 'root');
  const podLogs = join(dir, 'pod-logs');
  mkdirSync(root, { recursive: true });
  mkdirSync(podLogs, { recursive: true });
  const healthzPort = await freePort();
  const port = await freePort();
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    failSwapOn: false,
    containerRuntimeEndpoint: `unix://${options.containerdSocket}`,
    address: options.nodeIp,
    port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort,
    tlsCertFile: options.tlsCertFile,
    tlsPrivateKeyFile: options.tlsKeyFile,
    // Only the apiserver (a client certificate from the cluster's CA) may call it.
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: false },
      x509: { clientCAFile: options.caFile },
    },
    authorization: { mode: 'AlwaysAllow' },
    podLogsDir: podLogs,
    // No cluster DNS runs: pods get the host's resolv.conf (the apps reach the apiserver by the
    // KUBERNETES_SERVICE_HOST address, not by name).
    resolvConf: '/etc/resolv.conf',
    evictionHard: {
      'memory.available': '100Mi',
      'nodefs.available': '1%',
      'nodefs.inodesFree': '1%',
      'imagefs.available': '1%',
    },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    // Status and the Node's lease often, so that what tests wait for shows soon.
    nodeStatusUpdateFrequency: '4s',
    syncFrequency: '10s',
    serializeImagePulls: false,
    shutdownGracePeriod: '0s',
  };
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, dump(config));
  const logFile = join(dir, 'kubelet.log');
  const proc = startProcess(
    'kubelet',
    options.binary,
    [
      `--config=${configFile}`,
      `--kubeconfig=${options.kubeconfig}`,
      `--root-dir=${root}`,
      `--hostname-override=${options.nodeName}`,
      `--node-ip=${options.nodeIp}`,
      '--v=2',
    ],
    logFile,
  );
  await waitFor(
    `kubelet (log: ${logFile})`,
    async () => (await httpRequest(`http://127.0.0.1:${healthzPort}/healthz`)).status === 200,
    60_000,
    proc.hasExited,
  );
  return proc;
}
