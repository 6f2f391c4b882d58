import { guitarProblem } from '@guitars/shared';
import type { KubernetesObject } from '@kubernetes/client-node';

/**
 * One guitar as the pages and the API show it. Objects that predate the schema are kept (the
 * cluster holds them, hiding them would mislead) with `problem` saying what is wrong.
 */
export interface GuitarRow {
  namespace: string;
  name: string;
  brand: string;
  reviewed: boolean;
  comment: string | undefined;
  /** metadata.creationTimestamp in epoch ms. */
  created: number | undefined;
  problem: string | undefined;
  /** Which object this is: a guitar deleted and created again under its name has another uid. */
  uid: string | undefined;
  /** Which version of it: any change gives another. The API's ETag. */
  resourceVersion: string | undefined;
}

/** Reads any object from the cluster defensively; undefined when it has no name or namespace. */
export function rowFromObject(obj: KubernetesObject): GuitarRow | undefined {
  const namespace = obj.metadata?.namespace;
  const name = obj.metadata?.name;
  if (!namespace || !name) return undefined;
  const problem = guitarProblem(obj) ?? undefined;
  // When `problem` is set, spec may be anything.
  const spec = (obj as { spec?: unknown }).spec;
  const fields = spec && typeof spec === 'object' ? (spec as Record<string, unknown>) : {};
  const created = obj.metadata?.creationTimestamp
    ? new Date(obj.metadata.creationTimestamp).getTime()
    : Number.NaN;
  return {
    namespace,
    name,
    brand: typeof fields.brand === 'string' ? fields.brand : '',
    reviewed: fields.review === true,
    comment: typeof fields.comment === 'string' && fields.comment !== '' ? fields.comment : undefined,
    created: Number.isNaN(created) ? undefined : created,
    problem,
    // The informer's own strings, shared, not copied: two pointers a row.
    uid: obj.metadata?.uid || undefined,
    resourceVersion: obj.metadata?.resourceVersion || undefined,
  };
}
