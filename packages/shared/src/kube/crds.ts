import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { crdRevision, guitarCrd } from '../guitar/guitar-crd.js';
import { apiStatus } from './errors.js';
import type { KubeHttp } from './http.js';
import { crdPath } from './paths.js';

export type CrdInstallResult = 'created' | 'updated' | 'unchanged';

/** apiextensions.k8s.io/v1 CustomResourceDefinitions, and the Guitar CRD's install. */
export class CrdClient {
  constructor(private readonly http: KubeHttp) {}

  async get(name: string): Promise<V1CustomResourceDefinition> {
    return this.http.request({ method: 'GET', path: crdPath(name) });
  }

  async create(crd: V1CustomResourceDefinition): Promise<V1CustomResourceDefinition> {
    return this.http.request({ method: 'POST', path: crdPath(), body: crd });
  }

  /** A replace; metadata.resourceVersion makes it fail (409) if the CRD changed meanwhile. */
  async update(name: string, crd: V1CustomResourceDefinition): Promise<V1CustomResourceDefinition> {
    return this.http.request({ method: 'PUT', path: crdPath(name), body: crd });
  }

  /** Resolves once the CRD's Established condition is True: its resources are served. */
  async waitForEstablished(name: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const crd = await this.get(name);
      const established = crd.status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      if (established) return;
      if (Date.now() > deadline) throw new Error(`CRD ${name} was not Established within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Makes sure the Guitar CRD is installed and Established (see ensure). */
  ensureGuitarCrd(timeoutMs = 30_000): Promise<CrdInstallResult> {
    return this.ensure(guitarCrd(), timeoutMs);
  }

  /**
   * Makes sure `ours` is installed: creates it when missing, replaces it when the installed
   * revision (crdRevision) is older than ours, and leaves a newer or equal one alone. Waits until
   * it is Established. Errors (a 403 when the caller may not manage CRDs, among them) are thrown.
   */
  async ensure(ours: V1CustomResourceDefinition, timeoutMs = 30_000): Promise<CrdInstallResult> {
    const name = ours.metadata?.name ?? '';
    let result: CrdInstallResult = 'unchanged';
    let installed: V1CustomResourceDefinition | undefined;
    try {
      installed = await this.get(name);
    } catch (err) {
      if (apiStatus(err) !== 404) throw err;
    }
    if (!installed) {
      await this.create(ours);
      result = 'created';
    } else if (crdRevision(installed) < crdRevision(ours)) {
      const body = {
        ...ours,
        metadata: { ...ours.metadata, resourceVersion: installed.metadata?.resourceVersion },
      };
      await this.update(name, body);
      result = 'updated';
    }
    await this.waitForEstablished(name, timeoutMs);
    return result;
  }
}
