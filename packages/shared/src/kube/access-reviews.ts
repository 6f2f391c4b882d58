import type { KubeHttp, RequestAs } from './http.js';
import { SELF_SUBJECT_ACCESS_REVIEWS_PATH, SELF_SUBJECT_REVIEWS_PATH } from './paths.js';

/** What a SelfSubjectAccessReview asks about; namespace '' or absent is all namespaces. */
export interface ResourceAttributes {
  group: string;
  resource: string;
  verb: string;
  namespace?: string;
  name?: string;
}

/** Questions every authenticated user may ask the apiserver about themselves. */
export class AccessReviewClient {
  constructor(private readonly http: KubeHttp) {}

  /** May I (or the user of `as.bearerToken`) do this? A SelfSubjectAccessReview. */
  async allowed(attributes: ResourceAttributes, as: RequestAs = {}): Promise<boolean> {
    const review = await this.http.request<{ status?: { allowed?: boolean } }>({
      method: 'POST',
      path: SELF_SUBJECT_ACCESS_REVIEWS_PATH,
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: attributes },
      },
      ...as,
    });
    return review?.status?.allowed === true;
  }

  /** Who am I? The user name of a SelfSubjectReview (authentication.k8s.io/v1, Kubernetes 1.28+). */
  async username(): Promise<string | undefined> {
    const review = await this.http.request<{ status?: { userInfo?: { username?: unknown } } }>({
      method: 'POST',
      path: SELF_SUBJECT_REVIEWS_PATH,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    const username = review?.status?.userInfo?.username;
    return typeof username === 'string' && username !== '' ? username : undefined;
  }
}
