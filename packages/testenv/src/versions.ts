/** The Kubernetes release the control plane is built from, and the etcd it was released with. */
export const KUBERNETES_VERSION = 'v1.36.3';
export const ETCD_VERSION = 'v3.6.8';
/** The container runtime a node's kubelet talks to (Kubernetes 1.36 needs containerd 2.x). */
export const CONTAINERD_VERSION = 'v2.4.2';
