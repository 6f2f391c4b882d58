/**
 * The REST path of a Kubernetes resource, for clients that build requests themselves (KubeHttp):
 * across all namespaces when `namespace` is undefined, one namespace's collection, or one object.
 * `api` is the root of its group and version: `/api/v1` for the core group, `/apis/<group>/<version>`
 * for the others. Namespace and name are escaped as path segments.
 */
export function resourcePath(api: string, plural: string, namespace?: string, name?: string): string {
  if (namespace === undefined) return `${api}/${plural}`;
  const collection = `${api}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
  return name === undefined ? collection : `${collection}/${encodeURIComponent(name)}`;
}
