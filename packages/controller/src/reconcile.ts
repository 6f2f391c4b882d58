import { apiMessage, apiStatus, type Guitar, guitarProblem, type Logger, splitKey } from '@guitars/shared';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Counter, type Registry } from 'prom-client';
import type { EventRecorder } from './kit/event-recorder.js';
import { done, type Reconciler, TerminalError } from './kit/reconciler.js';
import { isReviewed, type PatchGuitar, reviewPatch } from './patch.js';
import type { Review } from './review-policy.js';

/** guitars_reviews_total{verdict}: the one metric of the Guitar reconciler's own. */
export function reviewsCounter(registry: Registry) {
  return new Counter({
    name: 'guitars_reviews_total',
    help: 'Reviews written, by verdict; each is exactly one patch of a guitar.',
    labelNames: ['verdict'] as const,
    registers: [registry],
  });
}

export interface GuitarReconcilerDeps {
  patch: PatchGuitar;
  review(brand: string): Review;
  recorder: Pick<EventRecorder, 'record'>;
  logger: Logger;
  /** guitars_reviews_total (reviewsCounter). */
  reviews: { inc(labels: { verdict: string }): void };
}

/**
 * The Guitar reconciler: brings one guitar, as the cache has it, to its reviewed state in at most
 * one write. Its outcomes (`reviewed`, `unchanged`, else `skipped`) label the reconcile duration.
 * Failures worth a retry (conflicts, an unreachable apiserver, 403) are thrown and retried with
 * backoff; a guitar it cannot use, or a review the apiserver refuses, is a TerminalError.
 */
export function guitarReconciler(deps: GuitarReconcilerDeps): Reconciler<KubernetesObject> {
  // key → the resourceVersion our last review was decided on. While the cache still shows that
  // version the review is done, only not yet seen; patching again would just earn a 409.
  const writtenOver = new Map<string, string>();

  return {
    async reconcile(obj, key) {
      // Each log line names the guitar itself: a pino child logger per reconcile costs a bindings
      // serialization every time, and most reconciles log nothing.
      const { namespace, name } = splitKey(key);
      if (!obj) {
        writtenOver.delete(key);
        return done('skipped');
      }
      const problem = guitarProblem(obj);
      if (problem) {
        throw new TerminalError(`guitar skipped: ${problem}`, 'invalid', {
          resourceVersion: obj.metadata?.resourceVersion,
          problem,
        });
      }
      const guitar = obj as Guitar;
      const version = guitar.metadata.resourceVersion ?? '';
      // The cache still shows the guitar from before our own review, whose watch event is on its way.
      if (writtenOver.get(key) === version) return done('skipped');
      writtenOver.delete(key);

      const review = deps.review(guitar.spec.brand);
      if (isReviewed(guitar, review)) return done('unchanged');

      try {
        await deps.patch(namespace, name, reviewPatch(guitar, review));
      } catch (err) {
        const status = apiStatus(err);
        if (status === 404) return done('skipped');
        // 400/422: the apiserver will refuse this write however often it is tried (e.g. an object
        // from before the schema that it no longer accepts). A user's edit requeues it.
        if (status === 400 || status === 422) {
          throw new TerminalError(
            `review rejected by the apiserver: ${apiMessage(err)}`,
            'rejected',
            { status, err: apiMessage(err) },
            'error',
          );
        }
        throw err;
      }
      writtenOver.set(key, version);
      deps.reviews.inc({ verdict: review.verdict });
      // One info line per review, as users read them: ~10 us, 0.5-3.5% of a review's CPU.
      deps.logger.info(
        { namespace, name, brand: guitar.spec.brand, verdict: review.verdict, comment: review.comment },
        'guitar reviewed',
      );
      deps.recorder.record(guitar, 'Normal', 'Reviewed', `Brand "${guitar.spec.brand}": ${review.comment}`);
      return done('reviewed');
    },
  };
}
