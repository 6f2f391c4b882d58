import { createHash } from 'node:crypto';
import { type AccessReviewClient, apiStatus, GROUP, PLURAL } from '@guitars/shared';
import { HttpError } from '../http/http-error.js';

/** The namespaces whose guitars a user may see: all, or these. */
export type Visible = { all: true } | { all: false; namespaces: ReadonlySet<string> };

interface Entry {
  expires: number;
  all: boolean | undefined;
  namespaces: Map<string, boolean>;
}

export interface UserNamespacesOptions {
  /** How long an answer of RBAC is reused for a user (default 30 s): a revoked right lasts so long. */
  ttlMs?: number;
  /** Users remembered at once (default 1,000); the least recently seen goes first. */
  maxUsers?: number;
  clock?: () => number;
}

/** SelfSubjectAccessReviews in flight at once for one page. */
const PARALLEL_REVIEWS = 8;

/**
 * Which of the cached guitars a signed-in user may see: those of the namespaces where they may
 * `list guitars`, as the apiserver answers SelfSubjectAccessReviews sent with their own token
 * (cluster-wide first, then per namespace). Answers are kept briefly per user, under a hash of the
 * token (a new sign-in asks again), so a page costs no review while they last.
 */
export class UserNamespaces {
  private readonly cache = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxUsers: number;
  private readonly clock: () => number;

  constructor(
    private readonly accessReviews: Pick<AccessReviewClient, 'allowed'>,
    options: UserNamespacesOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxUsers = options.maxUsers ?? 1_000;
    this.clock = options.clock ?? Date.now;
  }

  /** Of `namespaces`, those whose guitars the token's user may list (or all, cluster-wide). */
  async visible(token: string, namespaces: Iterable<string>): Promise<Visible> {
    const entry = this.entry(token);
    entry.all ??= await this.mayList(token, undefined);
    if (entry.all) return { all: true };
    const unknown = [...namespaces].filter((ns) => !entry.namespaces.has(ns));
    for (let i = 0; i < unknown.length; i += PARALLEL_REVIEWS) {
      const batch = unknown.slice(i, i + PARALLEL_REVIEWS);
      const answers = await Promise.all(batch.map((ns) => this.mayList(token, ns)));
      for (const [j, ns] of batch.entries()) entry.namespaces.set(ns, answers[j] === true);
    }
    const allowed = new Set<string>();
    for (const [ns, ok] of entry.namespaces) if (ok) allowed.add(ns);
    return { all: false, namespaces: allowed };
  }

  /**
   * Resolves when the apiserver accepts the token (a 401 HttpError when it does not): the proxy's
   * headers say who signed in, only the apiserver says the token is good. One review per user
   * while the answer lasts.
   */
  async authenticate(token: string): Promise<void> {
    const entry = this.entry(token);
    entry.all ??= await this.mayList(token, undefined);
  }

  /** True when the token's user may see guitars of `namespace`, from the kept answers while fresh. */
  async allows(token: string, namespace: string): Promise<boolean> {
    const entry = this.entry(token);
    entry.all ??= await this.mayList(token, undefined);
    if (entry.all) return true;
    let ok = entry.namespaces.get(namespace);
    if (ok === undefined) {
      ok = await this.mayList(token, namespace);
      entry.namespaces.set(namespace, ok);
    }
    return ok;
  }

  /** True when the user may see guitars of `namespace`. */
  async mayList(token: string, namespace: string | undefined): Promise<boolean> {
    try {
      return await this.accessReviews.allowed(
        { group: GROUP, resource: PLURAL, verb: 'list', namespace: namespace ?? '' },
        { bearerToken: token },
      );
    } catch (err) {
      if (apiStatus(err) === 401)
        throw new HttpError(401, 'Your sign-in has expired: sign out and sign in again.');
      throw new HttpError(
        503,
        'The cluster cannot say what you may see right now; try again in a moment.',
        undefined,
        {
          'Retry-After': '5',
        },
      );
    }
  }

  private entry(token: string): Entry {
    const key = createHash('sha256').update(token).digest('base64url');
    const now = this.clock();
    let entry = this.cache.get(key);
    if (entry && entry.expires <= now) entry = undefined;
    this.cache.delete(key);
    entry ??= { expires: now + this.ttlMs, all: undefined, namespaces: new Map() };
    // Re-inserted last: a Map iterates in insertion order, so the first key is the least recent.
    this.cache.set(key, entry);
    if (this.cache.size > this.maxUsers) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return entry;
  }
}
