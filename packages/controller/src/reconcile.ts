import { apiMessage, apiStatus, type Guitar, guitarProblem, type Logger, splitKey } from '@guitars/shared';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { EventRecorder } from './events.js';
import type { Metrics } from './metrics.js';
import { isReviewed, type PatchGuitar, reviewPatch } from './patch.js';
import type { Review } from './review-policy.js';

/**
 * What a reconcile did. `awaiting-watch`: the cache still shows the guitar as it was before our
 * own review, whose watch event is on its way and will queue the key again.
 */
export type ReconcileResult = 'reviewed' | 'unchanged' | 'gone' | 'invalid' | 'rejected' | 'awaiting-watch';

export interface ReconcilerDeps {
  /** The informer's cache. */
  get(namespace: string, name: string): KubernetesObject | undefined;
  patch: PatchGuitar;
  review(brand: string): Review;
  recorder: Pick<EventRecorder, 'record'>;
  logger: Logger;
  metrics: Pick<Metrics, 'reviews' | 'skipped'>;
}

export type Reconcile = (key: string) => Promise<ReconcileResult>;

/**
 * The sync handler: brings one guitar, read from the cache, to its reviewed state in at most one
 * write. Throws on failures worth a retry (conflicts, an unreachable apiserver, 403); the
 * controller requeues the key with backoff.
 */
export function reconciler(deps: ReconcilerDeps): Reconcile {
  // key → the resourceVersion our last review was decided on. While the cache still shows that
  // version the review is done, only not yet seen; patching again would just earn a 409.
  const writtenOver = new Map<string, string>();

  return async (key) => {
    // Each log line names the guitar itself: a pino child logger per reconcile costs a bindings
    // serialization every time, and most reconciles log nothing.
    const { namespace, name } = splitKey(key);
    const obj = deps.get(namespace, name);
    if (!obj) {
      writtenOver.delete(key);
      return 'gone';
    }
    const problem = guitarProblem(obj);
    if (problem) {
      deps.logger.warn(
        { namespace, name, resourceVersion: obj.metadata?.resourceVersion, problem },
        `guitar skipped: ${problem}`,
      );
      deps.metrics.skipped.inc({ reason: 'invalid' });
      return 'invalid';
    }
    const guitar = obj as Guitar;
    const version = guitar.metadata.resourceVersion ?? '';
    if (writtenOver.get(key) === version) return 'awaiting-watch';
    writtenOver.delete(key);

    const review = deps.review(guitar.spec.brand);
    if (isReviewed(guitar, review)) return 'unchanged';

    try {
      await deps.patch(namespace, name, reviewPatch(guitar, review));
    } catch (err) {
      const status = apiStatus(err);
      if (status === 404) return 'gone';
      // 400/422: the apiserver will refuse this write however often it is tried (e.g. an object
      // from before the schema that it no longer accepts). Log it once; a user's edit requeues it.
      if (status === 400 || status === 422) {
        deps.logger.error(
          { namespace, name, status, err: apiMessage(err) },
          `review rejected by the apiserver: ${apiMessage(err)}`,
        );
        deps.metrics.skipped.inc({ reason: 'rejected' });
        return 'rejected';
      }
      throw err;
    }
    writtenOver.set(key, version);
    deps.metrics.reviews.inc({ verdict: review.verdict });
    // One info line per review, as users read them: ~10 us, 0.5-3.5% of a review's CPU
    // (docs/performance-analysis.md, "The per-review log line").
    deps.logger.info(
      { namespace, name, brand: guitar.spec.brand, verdict: review.verdict, comment: review.comment },
      'guitar reviewed',
    );
    deps.recorder.record(guitar, 'Normal', 'Reviewed', `Brand "${guitar.spec.brand}": ${review.comment}`);
    return 'reviewed';
  };
}
