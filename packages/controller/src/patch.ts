import { type Guitar, type GuitarClient, REVIEWED_BRAND_ANNOTATION } from '@guitars/shared';
import type { Review } from './review-policy.js';

/** The name the controller's writes carry in managedFields. */
export const FIELD_MANAGER = 'guitars-controller';

/** The fields a review owns, and the resourceVersion it was decided on. */
export interface ReviewPatch {
  metadata: { resourceVersion: string; annotations: Record<string, string> };
  spec: { review: true; comment: string };
}

/**
 * The one write of a review, as a JSON merge patch.
 *
 * Why merge patch with a resourceVersion precondition rather than server-side apply: the comment
 * is only right for the brand it was decided on. The precondition makes the apiserver refuse the
 * write (409) if anything changed since the controller read the guitar, e.g. a user changing the
 * brand a moment ago, so a stale verdict never lands; the controller retries on the fresh object.
 * Apply of only the owned fields would not overwrite the user's edit either, but it could pair the
 * new brand with the old comment, and it would need a forced takeover of spec.review each time a
 * user sets it back to false. The patch names only what the controller owns (spec.review,
 * spec.comment and the reviewed-brand annotation), never a full replace.
 */
export function reviewPatch(guitar: Guitar, review: Review): ReviewPatch {
  return {
    metadata: {
      resourceVersion: guitar.metadata.resourceVersion ?? '',
      annotations: { [REVIEWED_BRAND_ANNOTATION]: guitar.spec.brand },
    },
    spec: { review: true, comment: review.comment },
  };
}

/** True when the guitar already carries this review for its current brand: no write needed. */
export function isReviewed(guitar: Guitar, review: Review): boolean {
  return (
    guitar.spec.review === true &&
    guitar.spec.comment === review.comment &&
    guitar.metadata.annotations?.[REVIEWED_BRAND_ANNOTATION] === guitar.spec.brand
  );
}

/** Sends a review patch; the apiserver's answer (the whole guitar) is not needed: the informer brings it. */
export type PatchGuitar = (namespace: string, name: string, patch: ReviewPatch) => Promise<void>;

/** Sends review patches through kube.guitars, as the controller's field manager. */
export function guitarPatcher(guitars: Pick<GuitarClient, 'patch'>): PatchGuitar {
  return (namespace, name, patch) => guitars.patch(namespace, name, patch, { fieldManager: FIELD_MANAGER });
}
