import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Guitar } from '../guitar/guitar.js';
import { AccessReviewClient } from './access-reviews.js';
import { CrdClient, type CrdInstallResult } from './crds.js';
import { EventClient } from './events.js';
import { KubeHttp, type KubeHttpOptions } from './http.js';
import { LeaseClient } from './leases.js';
import { GUITARS, type GuitarClient, ResourceClient, type ResourceType } from './resources.js';

export * from './access-reviews.js';
export * from './crds.js';
export * from './errors.js';
export * from './events.js';
export * from './http.js';
export * from './kubeconfig.js';
export * from './leases.js';
export * from './paths.js';
export * from './resources.js';

/**
 * The cluster, as the apps reach it: one KubeHttp (one keep-alive pool) behind a typed client per
 * kind of call. Every request of a process goes through one Kube.
 */
export interface Kube {
  guitars: GuitarClient;
  /** The objects of another namespaced resource (a kind of your own), over the same pool. */
  resources<T extends KubernetesObject>(type: ResourceType): ResourceClient<T>;
  events: EventClient;
  leases: LeaseClient;
  accessReviews: AccessReviewClient;
  crds: CrdClient;
  /** Closes the pool's connections, idle or not: for a stop, once no request is in flight. */
  close(): void;
}

/** Connects to the kubeconfig's cluster, as its current user. Nothing is sent until a call. */
export function connect(kc: KubeConfig, options: KubeHttpOptions = {}): Kube {
  const http = new KubeHttp(kc, options);
  return {
    guitars: new ResourceClient<Guitar>(http, GUITARS),
    resources: (type) => new ResourceClient(http, type),
    events: new EventClient(http),
    leases: new LeaseClient(http),
    accessReviews: new AccessReviewClient(http),
    crds: new CrdClient(http),
    close: () => http.close(),
  };
}

/** Installs or upgrades the Guitar CRD with a connection of its own (scripts and tests). */
export async function ensureGuitarCrd(kc: KubeConfig, timeoutMs?: number): Promise<CrdInstallResult> {
  const kube = connect(kc);
  try {
    return await kube.crds.ensureGuitarCrd(timeoutMs);
  } finally {
    kube.close();
  }
}
