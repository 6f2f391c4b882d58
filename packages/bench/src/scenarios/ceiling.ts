import { GROUP, guitarPath, KubeHttp, PLURAL, REVIEWED_BRAND_ANNOTATION, VERSION } from '@guitars/shared';
import type { ControlPlane } from '@guitars/testenv';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { createGuitars, forEachLimit, guitarRefs, pooledAdmin, ReviewWatcher } from '../guitars.js';
import { appIdentity } from '../identities.js';
import { deleteGuitars, freshNamespaces } from './controller.js';

export const CONCURRENCIES = [4, 8, 16, 32, 64];

export interface CeilingResult {
  guitars: number;
  bestConcurrency: number;
  patchesPerSecond: number;
  /** Patches per second seen at each concurrency during the sweep. */
  sweep: Record<string, number>;
}

/**
 * Scenario 2, the apiserver's own ceiling: the same review patches the controller sends (JSON
 * merge patch of spec.review, spec.comment and the reviewed-brand annotation, with the
 * resourceVersion precondition), issued by a bare client at its best concurrency, no controller.
 * The benchmark's ReviewWatcher runs here too, as it does while the controller is measured: it is
 * the measuring instrument, and its watch costs the apiserver (and this 2-core machine) CPU, so
 * leaving it out of this side alone would credit the ceiling with CPU the controller never had.
 */
export async function reviewCeiling(plane: ControlPlane, n: number): Promise<CeilingResult> {
  const kc = pooledAdmin(plane);
  const api = kc.makeApiClient(CustomObjectsApi);
  // The controller's own transport for its review patch (KubeHttp) and its identity (its
  // ServiceAccount: the same authentication and RBAC per patch), so that only the reviewer differs.
  const client = new KubeHttp((await appIdentity(plane, 'controller')).kc);
  const namespaces = await freshNamespaces(plane, 'ceiling');
  const watcher = new ReviewWatcher(kc);
  try {
    const refs = guitarRefs('ceiling', n, namespaces);
    // The sweep has guitars of its own: each patch of the main run must be a guitar's first
    // review, as each of the controller's is, not one more write over the sweep's five.
    const sample = guitarRefs('ceiling-sweep', Math.min(n, 1000), namespaces);
    await createGuitars(kc, [...refs, ...sample]);
    await watcher.start();
    // send(), as the controller does: the patched object in the answer is read and dropped.
    const patch = (namespace: string, name: string, resourceVersion: string | undefined, comment: string) =>
      client.send({
        method: 'PATCH',
        path: guitarPath(namespace, name),
        query: { fieldManager: 'bench' },
        body: {
          metadata: {
            ...(resourceVersion ? { resourceVersion } : {}),
            annotations: { [REVIEWED_BRAND_ANNOTATION]: 'fender' },
          },
          spec: { review: true, comment },
        },
        contentType: 'application/merge-patch+json',
      });

    // The sweep patches its sample again and again, each time with a new comment so that every
    // patch is a real write; it picks the concurrency the main run uses.
    const sweep: Record<string, number> = {};
    for (const concurrency of CONCURRENCIES) {
      const start = performance.now();
      await forEachLimit(sample, concurrency, (r) =>
        patch(r.namespace, r.name, undefined, `sweep ${concurrency}`),
      );
      sweep[String(concurrency)] = sample.length / ((performance.now() - start) / 1000);
    }
    const best = CONCURRENCIES.reduce((a, b) => ((sweep[String(b)] ?? 0) > (sweep[String(a)] ?? 0) ? b : a));

    // The main run: every guitar patched once, from its current resourceVersion, as the controller does.
    const versions = new Map<string, string>();
    for (const namespace of namespaces) {
      const list = (await api.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
      })) as {
        items: Array<{ metadata: { name: string; resourceVersion: string } }>;
      };
      for (const item of list.items)
        versions.set(`${namespace}/${item.metadata.name}`, item.metadata.resourceVersion);
    }
    // Timed as the controller's backlog is, from the first review to the last: the wait for the
    // first answers is latency, not throughput, and the controller's rate does not count it either.
    const answered: number[] = [];
    await forEachLimit(refs, best, async (r) => {
      await patch(
        r.namespace,
        r.name,
        versions.get(`${r.namespace}/${r.name}`),
        'this is a great instrument',
      );
      answered.push(performance.now());
    });
    const first = answered[0] as number;
    const last = answered[answered.length - 1] as number;
    return {
      guitars: n,
      bestConcurrency: best,
      patchesPerSecond: (n - 1) / ((last - first) / 1000),
      sweep,
    };
  } finally {
    client.close();
    await watcher.stop();
    await deleteGuitars(plane, namespaces);
  }
}
