import { apiMessage, apiStatus, KubeApiError, type KubeStatus } from '../kube/errors.js';

/** What the apiserver refused, read from its 403 answer. */
export interface Refusal {
  /** The user the apiserver authorized the request as, when its message says. */
  user: string | undefined;
  /** get, list, watch, create, update, patch, delete... when the message says. */
  verb: string | undefined;
  /** The resource (plural, with a subresource if any: pods/log), e.g. guitars. */
  resource: string;
  /** The API group; '' is the core group. */
  group: string;
  /** The object's name, for a request about one object. */
  name: string | undefined;
  /** The namespace of the request; undefined for the cluster scope. */
  namespace: string | undefined;
  /** The apiserver's message, whole. */
  message: string;
}

/**
 * The apiserver words a refusal as `User "u" cannot VERB resource "R" in API group "G" in the
 * namespace "N"` or `... at the cluster scope` (k8s.io/apiserver's forbiddenMessage); the user
 * is Go-quoted (%q).
 */
const FORBIDDEN =
  /User ("(?:[^"\\]|\\.)*") cannot (\S+) resource "([^"]*)" in API group "([^"]*)"(?: in the namespace "([^"]*)"| at the cluster scope)?/;

/**
 * The refusal in a 403 from the apiserver (a KubeApiError, as the transport throws), or undefined
 * for any other error. The Status's details give the resource, group and name; its
 * message gives the user, the verb and the namespace.
 */
export function parseForbidden(err: unknown): Refusal | undefined {
  if (apiStatus(err) !== 403) return undefined;
  const status: KubeStatus | undefined = err instanceof KubeApiError ? err.body : undefined;
  const message = apiMessage(err);
  const match = FORBIDDEN.exec(message);
  const details = status?.details ?? {};
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    user: match?.[1] === undefined ? undefined : unquote(match[1]),
    verb: match?.[2],
    resource: match?.[3] ?? text(details.kind) ?? '',
    group: match?.[4] ?? text(details.group) ?? '',
    name: text(details.name),
    namespace: match?.[5],
    message,
  };
}

/** A Go %q string: JSON's escapes cover what a user name holds; anything else is kept as it is. */
function unquote(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}
