import type { KubeConfig } from '@kubernetes/client-node';
import { connect, type Kube } from '../kube/index.js';

/** Who the apiserver takes this app for. */
export interface Identity {
  /** e.g. system:serviceaccount:guitarcenter:guitars-controller */
  username: string;
  /** Where the name was read: the apiserver's answer, or the bearer token's own claim. */
  source: 'SelfSubjectReview' | 'token';
}

/** A ServiceAccount's namespace and name, from its user name. */
export function serviceAccountOf(username: string): { namespace: string; name: string } | undefined {
  const match = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  return match ? { namespace: match[1] as string, name: match[2] as string } : undefined;
}

/**
 * Asks the apiserver who we are (a SelfSubjectReview, authentication.k8s.io/v1: allowed to every
 * authenticated user by the default system:basic-user binding, as `kubectl auth whoami` uses it).
 * When that is not answered (an apiserver older than 1.28, or one that refuses it), reads the
 * `sub` claim of the bearer token, which for a ServiceAccount token is its user name. Undefined
 * when neither tells. Asks through `kube` when given (the app's connection), else a connection of its own.
 */
export async function whoAmI(
  kc: KubeConfig,
  kube?: Pick<Kube, 'accessReviews'>,
): Promise<Identity | undefined> {
  const own = kube ? undefined : connect(kc);
  try {
    const username = await (kube ?? (own as Kube)).accessReviews.username();
    if (username) return { username, source: 'SelfSubjectReview' };
  } catch {
    // Not answered: the token may still say.
  } finally {
    own?.close();
  }
  const subject = tokenSubject(await bearerToken(kc));
  return subject ? { username: subject, source: 'token' } : undefined;
}

/** The bearer token the kubeconfig sends (a token, a token file, an exec plugin's), if any. */
async function bearerToken(kc: KubeConfig): Promise<string | undefined> {
  const options: { headers?: Record<string, unknown> } = {};
  try {
    await kc.applyToHTTPSOptions(options);
  } catch {
    return undefined;
  }
  const header = options.headers?.Authorization ?? options.headers?.authorization;
  return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
}

/**
 * The `sub` claim of a JWT, read without verifying it: only to name the identity in a message,
 * never to decide anything. Undefined for a token that is not a JWT.
 */
export function tokenSubject(token: string | undefined): string | undefined {
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const sub = (claims as { sub?: unknown } | null)?.sub;
    return typeof sub === 'string' && sub !== '' ? sub : undefined;
  } catch {
    return undefined;
  }
}
