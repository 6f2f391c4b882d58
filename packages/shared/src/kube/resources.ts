import type { KubernetesObject } from '@kubernetes/client-node';
import { GROUP, type Guitar, PLURAL, VERSION } from '../guitar/guitar.js';
import type { KubeHttp, RequestAs } from './http.js';
import { resourcePath } from './paths.js';

/** A namespaced resource: where its REST paths are (`/apis/<group>/<version>/.../<plural>`). */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
}

/** Guitars, `kool.karmalabs.local/v1`: `kube.guitars` is the ResourceClient of this type. */
export const GUITARS: ResourceType = { group: GROUP, version: VERSION, plural: PLURAL };

/** One page of a list. */
export interface PageQuery {
  limit?: number;
  continue?: string;
  /** '0' for the apiserver's watch cache; a page after the first carries `continue` instead. */
  resourceVersion?: string;
}

/**
 * A page of objects, as the apiserver sends it. Items are not checked: the cluster may hold
 * objects written before the schema (see isGuitar).
 */
export interface Page {
  items: KubernetesObject[];
  metadata: { resourceVersion: string; continue?: string };
}

export interface WatchQuery {
  resourceVersion: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

/**
 * A JSON merge patch with its precondition: the apiserver refuses it (409) if the object has
 * changed. spec and status are merged as given.
 */
export interface MergePatch {
  metadata: { resourceVersion: string; annotations?: Record<string, string> };
  spec?: object;
  status?: object;
}

/** meta/v1 Preconditions: what the object to delete must still be. */
export interface DeletePreconditions {
  uid?: string;
  resourceVersion?: string;
}

/** Which objects list and watch see: all namespaces' when no namespace is set. */
export interface Selection {
  namespace?: string;
  labelSelector?: string;
}

/**
 * The objects of one namespaced resource (guitars, or a kind of your own). list and watch have the
 * shape of a reflector's lister-watcher over the selection (all objects unless select() narrowed
 * it); the others address one object. A namespace or name no object can have is refused
 * (InvalidNameError) before anything is sent.
 */
export class ResourceClient<T extends KubernetesObject = KubernetesObject> {
  constructor(
    private readonly http: KubeHttp,
    private readonly type: ResourceType,
    private readonly selection: Selection = {},
  ) {}

  /** The same client, listing and watching one namespace's objects or those matching a selector. */
  select(selection: Selection): ResourceClient<T> {
    return new ResourceClient<T>(this.http, this.type, selection);
  }

  private path(namespace?: string, name?: string): string {
    const { group, version, plural } = this.type;
    return resourcePath(`/apis/${group}/${version}`, plural, namespace, name);
  }

  async list(query: PageQuery): Promise<Page> {
    const page = await this.http.request<Partial<Page>>({
      method: 'GET',
      path: this.path(this.selection.namespace),
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
    query: WatchQuery,
    onEvent: (type: string, object: KubernetesObject) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return this.http.watch(
      this.path(this.selection.namespace),
      { ...query, labelSelector: this.selection.labelSelector },
      (type, object) => onEvent(type, object as KubernetesObject),
      done,
    );
  }

  /** One object, as the apiserver has it (not checked against the schema). */
  async get(namespace: string, name: string, as: RequestAs = {}): Promise<KubernetesObject> {
    return this.http.request({ method: 'GET', path: this.path(namespace, name), ...as });
  }

  /** Creates the object in its metadata.namespace; the apiserver checks the name, in the body. */
  async create(obj: T, as: RequestAs = {}): Promise<T> {
    return this.http.request({
      method: 'POST',
      path: this.path(obj.metadata?.namespace),
      body: obj,
      ...as,
    });
  }

  /**
   * Deletes the object; with preconditions, only if it is still the one they describe (its uid,
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
      path: this.path(namespace, name),
      ...(preconditions ? { body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions } } : {}),
      ...as,
    });
  }

  /** A JSON merge patch; its answer (the whole object) is dropped unread: a watch brings it. */
  async patch(
    namespace: string,
    name: string,
    patch: MergePatch,
    options: { fieldManager?: string } = {},
  ): Promise<void> {
    return this.http.send({
      method: 'PATCH',
      path: this.path(namespace, name),
      query: { fieldManager: options.fieldManager },
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }
}

/** Guitars in the cluster: `kube.guitars`. */
export type GuitarClient = ResourceClient<Guitar>;
