import { ApiException } from '@kubernetes/client-node';

/** The HTTP status of a failed client-node call (testenv does not depend on @guitars/shared). */
export function apiStatusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}
