import type { KubernetesObject } from '@kubernetes/client-node';
import type { Guitar } from '../guitar.js';
import type { KubeHttp, RequestAs } from './http.js';
import { guitarPath } from './paths.js';

/** One page of a list. */
export interface GuitarPageQuery {
  limit?: number;
  continue?: string;
  /** '0' for the apiserver's watch cache; a page after the first carries `continue` instead. */
  resourceVersion?: string;
}

/**
 * A page of guitars, as the apiserver sends it. Items are not checked: the cluster may hold
 * objects written before the schema (see isGuitar).
 */
export interface GuitarPage {
  items: KubernetesObject[];
  metadata: { resourceVersion: string; continue?: string };
}

export interface GuitarWatchQuery {
  resourceVersion: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

/** A merge patch with its precondition: the apiserver refuses it (409) if the guitar has changed. */
export interface GuitarMergePatch {
  metadata: { resourceVersion: string; annotations?: Record<string, string> };
  spec?: Partial<Guitar['spec']>;
}

/** meta/v1 Preconditions: what the object to delete must still be. */
export interface DeletePreconditions {
  uid?: string;
  resourceVersion?: string;
}

/** Which guitars list and watch see: all namespaces' when no namespace is set. */
export interface GuitarSelection {
  namespace?: string;
  labelSelector?: string;
}

/**
 * Guitars in the cluster. list and watch have the shape of a reflector's lister-watcher over the
 * selection (all guitars unless select() narrowed it); the others address one guitar. A namespace
 * or name no object can have is refused (InvalidNameError) before anything is sent.
 */
export class GuitarClient {
  constructor(
    private readonly http: KubeHttp,
    private readonly selection: GuitarSelection = {},
  ) {}

  /** The same client, listing and watching one namespace's guitars or those matching a selector. */
  select(selection: GuitarSelection): GuitarClient {
    return new GuitarClient(this.http, selection);
  }

  async list(query: GuitarPageQuery): Promise<GuitarPage> {
    const page = await this.http.request<Partial<GuitarPage>>({
      method: 'GET',
      path: guitarPath(this.selection.namespace),
      query: {
        labelSelector: this.selection.labelSelector,
        limit: query.limit?.toString(),
        continue: query.continue,
        resourceVersion: query.resourceVersion,
      },
    });
    return {
      items: page.items ?? [],
      metadata: {
        resourceVersion: page.metadata?.resourceVersion ?? '',
        ...(page.metadata?.continue ? { continue: page.metadata.continue } : {}),
      },
    };
  }

  /** KubeHttp.watch's contract: onEvent per event, done once (null, or the error). */
  async watch(
    query: GuitarWatchQuery,
    onEvent: (type: string, object: KubernetesObject) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return this.http.watch(
      guitarPath(this.selection.namespace),
      { ...query, labelSelector: this.selection.labelSelector },
      (type, object) => onEvent(type, object as KubernetesObject),
      done,
    );
  }

  /** One guitar, as the apiserver has it (not checked against the schema). */
  async get(namespace: string, name: string, as: RequestAs = {}): Promise<KubernetesObject> {
    return this.http.request({ method: 'GET', path: guitarPath(namespace, name), ...as });
  }

  /** Creates the guitar in its metadata.namespace; the apiserver checks the name, in the body. */
  async create(guitar: Guitar, as: RequestAs = {}): Promise<Guitar> {
    return this.http.request({
      method: 'POST',
      path: guitarPath(guitar.metadata.namespace),
      body: guitar,
      ...as,
    });
  }

  /**
   * Deletes the guitar; with preconditions, only if it is still the one they describe (its uid,
   * its resourceVersion), else the apiserver answers 409 Conflict and deletes nothing.
   */
  async delete(
    namespace: string,
    name: string,
    as: RequestAs = {},
    preconditions?: DeletePreconditions,
  ): Promise<void> {
    return this.http.send({
      method: 'DELETE',
      path: guitarPath(namespace, name),
      ...(preconditions ? { body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions } } : {}),
      ...as,
    });
  }

  /** A JSON merge patch; its answer (the whole guitar) is dropped unread: a watch brings it. */
  async patch(
    namespace: string,
    name: string,
    patch: GuitarMergePatch,
    options: { fieldManager?: string } = {},
  ): Promise<void> {
    return this.http.send({
      method: 'PATCH',
      path: guitarPath(namespace, name),
      query: { fieldManager: options.fieldManager },
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }
}
