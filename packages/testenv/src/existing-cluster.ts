import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { ClusterInfo } from './cluster.js';

/**
 * USE_EXISTING_CLUSTER=true: the tests run against the current kubeconfig (kind, minikube,
 * OpenShift) and the kubectl on PATH instead of starting a control plane.
 */
export function existingClusterInfo(env: NodeJS.ProcessEnv = process.env): ClusterInfo {
  const kubeconfigPath =
    (env.KUBECONFIG ?? '').split(delimiter).find(Boolean) ?? join(homedir(), '.kube', 'config');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`USE_EXISTING_CLUSTER=true but ${kubeconfigPath} has no current cluster`);
  const caPem = cluster.caData
    ? Buffer.from(cluster.caData, 'base64').toString()
    : cluster.caFile
      ? readFileSync(cluster.caFile, 'utf8')
      : '';
  return {
    kubeconfigPath,
    server: cluster.server,
    caPem,
    kubectlPath: env.KUBECTL ?? 'kubectl',
    existing: true,
  };
}
