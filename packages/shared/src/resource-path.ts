import { checkName, checkNamespace } from './names.js';

/**
 * The REST path of a Kubernetes resource, for clients that build requests themselves (KubeHttp):
 * across all namespaces when `namespace` is undefined, one namespace's collection, or one object.
 * `api` is the root of its group and version: `/api/v1` for the core group, `/apis/<group>/<version>`
 * for the others. Every path to the cluster is built here, so this is where a hostile segment
 * stops: a namespace or name that no object can have ('.', '..', '', 'a/b') throws
 * InvalidNameError instead of addressing the collection or another resource; the valid ones are
 * still escaped as path segments.
 */
export function resourcePath(api: string, plural: string, namespace?: string, name?: string): string {
  if (namespace === undefined) return `${api}/${plural}`;
  const collection = `${api}/namespaces/${encodeURIComponent(checkNamespace(namespace))}/${plural}`;
  return name === undefined ? collection : `${collection}/${encodeURIComponent(checkName(name))}`;
}
