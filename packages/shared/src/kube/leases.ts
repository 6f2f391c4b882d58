import type { KubeHttp } from './http.js';
import { leasePath } from './paths.js';

/**
 * The coordination.k8s.io/v1 Lease fields leader election reads and writes, as raw JSON
 * (client-node's V1Lease has Dates where this has strings). acquireTime and renewTime are
 * MicroTime: RFC 3339 with exactly 6 fractional digits, the layout the apiserver parses.
 */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** coordination.k8s.io/v1 Leases. */
export class LeaseClient {
  constructor(private readonly http: KubeHttp) {}

  async get(namespace: string, name: string): Promise<Lease> {
    return this.http.request({ method: 'GET', path: leasePath(namespace, name) });
  }

  async create(namespace: string, lease: Lease): Promise<Lease> {
    return this.http.request({ method: 'POST', path: leasePath(namespace), body: lease });
  }

  /** A replace; the lease's metadata.resourceVersion makes it fail (409) if another wrote first. */
  async update(namespace: string, name: string, lease: Lease): Promise<Lease> {
    return this.http.request({ method: 'PUT', path: leasePath(namespace, name), body: lease });
  }
}
