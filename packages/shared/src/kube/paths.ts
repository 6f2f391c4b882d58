import { GROUP, PLURAL, VERSION } from '../guitar/guitar.js';
import { checkName, checkNamespace } from './names.js';

/**
 * The REST path of a Kubernetes resource: across all namespaces when `namespace` is undefined, one
 * namespace's collection, or one object. `api` is the root of its group and version: `/api/v1` for
 * the core group, `/apis/<group>/<version>` for the others. Every path to the cluster is built in
 * this file, so this is where a hostile segment stops: a namespace or name that no object can have
 * ('.', '..', '', 'a/b') throws InvalidNameError instead of addressing another resource; the valid
 * ones are still escaped as path segments.
 */
export function resourcePath(api: string, plural: string, namespace?: string, name?: string): string {
  if (namespace === undefined) return `${api}/${plural}`;
  const collection = `${api}/namespaces/${encodeURIComponent(checkNamespace(namespace))}/${plural}`;
  return name === undefined ? collection : `${collection}/${encodeURIComponent(checkName(name))}`;
}

/** A cluster-scoped resource: its collection, or one object. */
export function clusterResourcePath(api: string, plural: string, name?: string): string {
  return name === undefined ? `${api}/${plural}` : `${api}/${plural}/${encodeURIComponent(checkName(name))}`;
}

/** Guitars: all namespaces without arguments, one namespace's collection, or one guitar. */
export function guitarPath(namespace?: string, name?: string): string {
  return resourcePath(`/apis/${GROUP}/${VERSION}`, PLURAL, namespace, name);
}

/** core/v1 Events of a namespace, or one event. */
export function eventPath(namespace: string, name?: string): string {
  return resourcePath('/api/v1', 'events', namespace, name);
}

/** coordination.k8s.io/v1 Leases of a namespace, or one lease. */
export function leasePath(namespace: string, name?: string): string {
  return resourcePath('/apis/coordination.k8s.io/v1', 'leases', namespace, name);
}

/** apiextensions.k8s.io/v1 CustomResourceDefinitions, or one. */
export function crdPath(name?: string): string {
  return clusterResourcePath('/apis/apiextensions.k8s.io/v1', 'customresourcedefinitions', name);
}

/** Where a SelfSubjectAccessReview is created: may I (or the token's user) do this? */
export const SELF_SUBJECT_ACCESS_REVIEWS_PATH = clusterResourcePath(
  '/apis/authorization.k8s.io/v1',
  'selfsubjectaccessreviews',
);

/** Where a SelfSubjectReview is created: who am I? */
export const SELF_SUBJECT_REVIEWS_PATH = clusterResourcePath(
  '/apis/authentication.k8s.io/v1',
  'selfsubjectreviews',
);
