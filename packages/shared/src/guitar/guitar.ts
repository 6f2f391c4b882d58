import type { KubernetesListObject, KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';

/** The Guitar API, as the original Python sample defined it. */
export const GROUP = 'kool.karmalabs.local';
export const VERSION = 'v1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const PLURAL = 'guitars';
export const SINGULAR = 'guitar';
export const KIND = 'Guitar';
export const LIST_KIND = 'GuitarList';
export const SHORT_NAME = 'guit';
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/**
 * The brand the controller last reviewed, written in the same patch as the review, so that a
 * brand changed after its review is seen and reviewed again.
 */
export const REVIEWED_BRAND_ANNOTATION = `${GROUP}/reviewed-brand`;

export interface GuitarSpec {
  /** The guitar's maker, e.g. "fender". Required by the schema. */
  brand: string;
  /** True once the controller has reviewed the guitar; false (or absent) asks for a review. */
  review?: boolean;
  /** The controller's verdict on the brand. */
  comment?: string;
}

export interface Guitar extends KubernetesObject {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: GuitarSpec;
}

export type GuitarList = KubernetesListObject<Guitar>;

/** "namespace/name", the key a cache or a work queue files a guitar under. */
export function guitarKey(obj: Pick<KubernetesObject, 'metadata'>): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Why an object from the cluster is not a usable Guitar, or null when it is one. */
export function guitarProblem(obj: KubernetesObject): string | null {
  if (!obj.metadata?.name || !obj.metadata.namespace) return 'metadata.name or metadata.namespace is missing';
  const spec = (obj as { spec?: unknown }).spec;
  if (spec === undefined || spec === null) return 'spec is missing';
  if (typeof spec !== 'object' || Array.isArray(spec)) return `spec is ${describe(spec)}, not an object`;
  const { brand, review, comment } = spec as Record<string, unknown>;
  if (typeof brand !== 'string') return `spec.brand is ${describe(brand)}, not a string`;
  if (review !== undefined && typeof review !== 'boolean')
    return `spec.review is ${describe(review)}, not a boolean`;
  if (comment !== undefined && typeof comment !== 'string')
    return `spec.comment is ${describe(comment)}, not a string`;
  return null;
}

/** Narrows an object read from the cluster (which may predate the schema) to a Guitar. */
export function isGuitar(obj: KubernetesObject): obj is Guitar {
  return guitarProblem(obj) === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'missing';
  return `a ${typeof value}`;
}
