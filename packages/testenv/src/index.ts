export { type Assets, cacheDir, ensureAssets } from './assets.js';
export { Cluster, type ClusterInfo, type KubectlResult } from './cluster.js';
export { ControlPlane, type StartOptions, startControlPlane } from './control-plane.js';
export { existingClusterInfo } from './existing-cluster.js';
export { waitFor } from './http.js';
export { kubeconfigYaml } from './kubeconfig.js';
export { type CertificateAuthority, createCertificateAuthority, type KeyPairPem } from './pki.js';
export { freePort } from './ports.js';
export { ETCD_VERSION, KUBERNETES_VERSION } from './versions.js';
