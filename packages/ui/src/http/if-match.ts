import { HttpError } from './http-error.js';

/**
 * What a DELETE's If-Match asks for: nothing (delete as it is), any guitar that exists (`*`), or
 * the version a GET's ETag named (`"<resourceVersion>"`), sent to the apiserver as a precondition.
 */
export type IfMatch = { kind: 'none' } | { kind: 'any' } | { kind: 'version'; resourceVersion: string };

// RFC 9110 §8.8.3: an entity tag is an opaque string in double quotes, W/ in front when weak.
const STRONG_TAG = /^"([\x21\x23-\x7e]*)"$/;
const WEAK_TAG = /^W\/"[\x21\x23-\x7e]*"$/;

/**
 * Reads an If-Match header. Anything this API does not take is refused before the cluster is asked,
 * so a condition it cannot check never becomes an unconditional delete: a weak tag never matches
 * (If-Match compares strongly: 412); a list of tags, or what is no entity tag, is a 400.
 */
export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined) return { kind: 'none' };
  const value = header.trim();
  if (value === '*') return { kind: 'any' };
  const strong = STRONG_TAG.exec(value);
  if (strong) return { kind: 'version', resourceVersion: strong[1] ?? '' };
  if (WEAK_TAG.test(value)) {
    throw new HttpError(
      412,
      'If-Match holds a weak entity tag (W/"…"), which never matches: If-Match compares strongly. Nothing was deleted. Send the ETag of GET /api/guitars/{namespace}/{name} as it came, or * for any guitar of that name.',
    );
  }
  throw new HttpError(
    400,
    'If-Match must be one entity tag, the ETag of GET /api/guitars/{namespace}/{name} as it came ("<resourceVersion>"), or * for any guitar of that name. Nothing was deleted.',
  );
}

/** The strong ETag of a version of a guitar: its resourceVersion, quoted. */
export function etagOf(resourceVersion: string): string {
  return `"${resourceVersion}"`;
}
