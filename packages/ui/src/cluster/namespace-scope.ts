import { type AccessReviewClient, GROUP, PLURAL } from '@guitars/shared';

/** Which guitars the UI lists: all of them, or those of one namespace when RBAC allows no more. */
export type NamespaceScope =
  | { clusterWide: true }
  | { clusterWide: false; namespace: string; reason: string };

/**
 * Asks the apiserver (a SelfSubjectAccessReview, which every authenticated user may create)
 * whether the UI may list and watch guitars in all namespaces; if not, the UI lists `own`
 * namespace only and says why. Errors (cluster unreachable) are thrown: the caller retries.
 */
export async function decideNamespaceScope(
  accessReviews: Pick<AccessReviewClient, 'allowed'>,
  own: string,
): Promise<NamespaceScope> {
  const refused: string[] = [];
  for (const verb of ['list', 'watch']) {
    if (!(await accessReviews.allowed({ group: GROUP, resource: PLURAL, verb }))) refused.push(verb);
  }
  if (refused.length === 0) return { clusterWide: true };
  return {
    clusterWide: false,
    namespace: own,
    reason: `the UI may not ${refused.join(' or ')} guitars in all namespaces`,
  };
}

/** The namespace an informer should watch: undefined for all. */
export function watchedNamespace(scope: NamespaceScope): string | undefined {
  return scope.clusterWide ? undefined : scope.namespace;
}

/** True when guitars of `namespace` are in the UI's cache. */
export function inScope(scope: NamespaceScope | undefined, namespace: string): boolean {
  return scope !== undefined && (scope.clusterWide || scope.namespace === namespace);
}
