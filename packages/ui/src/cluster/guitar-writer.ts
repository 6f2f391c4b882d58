import {
  API_VERSION,
  apiMessage,
  apiStatus,
  CRD_NAME,
  type DeletePreconditions,
  GROUP,
  type Guitar,
  type GuitarClient,
  InvalidNameError,
  KIND,
  KubeApiError,
  PLURAL,
} from '@guitars/shared';
import { HttpError } from '../http/http-error.js';
import type { NewGuitar } from '../validation.js';

/** Whom a call acts as: the UI's own identity when absent, else a signed-in user (proxy mode). */
export interface Actor {
  /** The user's name, for messages. */
  user: string;
  /** The user's bearer token, sent instead of the UI's credentials. */
  token: string;
}

/**
 * The UI's write side: creates and deletes guitars through the apiserver (never through the cache),
 * and turns the apiserver's answers into the UI's HTTP answers. kube.guitars refuses a namespace
 * or name that is not one (".", "..", "a/b") before any request, even if a route forgot to check
 * it: a 400 naming the field.
 */
export class GuitarWriter {
  constructor(private readonly guitars: Pick<GuitarClient, 'create' | 'delete' | 'get'>) {}

  async create(guitar: NewGuitar, actor?: Actor): Promise<Guitar> {
    const body: Guitar = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: guitar.name, namespace: guitar.namespace },
      // review: false asks the controller for a review, as the original's samples did.
      spec: { brand: guitar.brand, review: false },
    };
    // The name travels in the body, where the apiserver checks it; the path holds the namespace.
    try {
      return await this.guitars.create(body, as(actor));
    } catch (err) {
      throw toHttpError(err, guitar, 'create', actor);
    }
  }

  /**
   * With preconditions, deletes only the guitar they describe: one deleted and created again
   * (another uid) or changed since (another resourceVersion) is left alone, GuitarChangedError.
   */
  async delete(
    namespace: string,
    name: string,
    actor?: Actor,
    preconditions?: DeletePreconditions,
  ): Promise<void> {
    try {
      await this.guitars.delete(namespace, name, as(actor), preconditions);
    } catch (err) {
      // With preconditions the apiserver's 409 is theirs failing ("the UID in the precondition
      // (…) does not match the UID in record (…)"); a delete has no other conflict.
      if (preconditions && apiStatus(err) === 409) throw new GuitarChangedError(namespace, name);
      throw toHttpError(err, { namespace, name }, 'delete', actor);
    }
  }

  /** A live read, for guitars outside the cached namespaces. */
  async get(namespace: string, name: string, actor?: Actor): Promise<unknown> {
    try {
      return await this.guitars.get(namespace, name, as(actor));
    } catch (err) {
      throw toHttpError(err, { namespace, name }, 'get', actor);
    }
  }
}

/** A delete refused because the guitar is no longer the one the user saw; nothing was deleted. */
export class GuitarChangedError extends HttpError {
  constructor(namespace: string, name: string) {
    super(
      409,
      `The guitar "${name}" in namespace "${namespace}" has changed since it was shown (deleted and created again, or changed): nothing was deleted.`,
    );
  }
}

function as(actor: Actor | undefined): { bearerToken?: string } {
  return actor ? { bearerToken: actor.token } : {};
}

/**
 * The apiserver's answer as the UI's: its own words for a refusal (403) or a rejected object (422),
 * 503 when it could not be reached or is overloaded, and field errors where a field is to blame.
 */
export function toHttpError(
  err: unknown,
  target: { namespace: string; name: string },
  verb = 'change',
  actor?: Actor,
): HttpError {
  if (err instanceof InvalidNameError) return new HttpError(400, err.message, { [err.field]: err.message });
  const status = apiStatus(err);
  const message = apiMessage(err);
  const what = `guitar "${target.name}" in namespace "${target.namespace}"`;
  if (status === undefined || status === 429 || status >= 500) {
    return new HttpError(
      503,
      'The Kubernetes cluster cannot be reached right now; try again in a moment.',
      undefined,
      {
        'Retry-After': '5',
      },
    );
  }
  switch (status) {
    case 403:
      // A user's refusal is theirs to fix (or their admin's): say it in their words first.
      return new HttpError(
        403,
        actor
          ? `You (${actor.user}) may not ${verb} guitars in namespace "${target.namespace}". Ask an administrator for a RoleBinding that allows it. The cluster said: ${message}`
          : message,
      );
    case 404:
      switch (missing(err, target.name)) {
        case 'namespace':
          return new HttpError(422, `Namespace "${target.namespace}" does not exist.`, {
            namespace: `Namespace "${target.namespace}" does not exist.`,
          });
        case 'guitar':
          return new HttpError(404, `There is no ${what}.`);
        default:
          // Not the user's doing, nor something to retry at once: the cluster lacks the Guitar API.
          return new HttpError(503, MISSING_CRD, undefined, { 'Retry-After': '30' });
      }
    case 409:
      return new HttpError(409, `A ${what} already exists.`, {
        name: `A guitar named "${target.name}" already exists.`,
      });
    case 422:
    case 400:
      return new HttpError(422, message);
    case 401:
      if (actor) return new HttpError(401, 'Your sign-in has expired: sign out and sign in again.');
      return new HttpError(502, `The cluster refused the request: ${message}`);
    default:
      // 401 and the rest: the UI's own credentials or request are wrong, not the user's.
      return new HttpError(502, `The cluster refused the request: ${message}`);
  }
}

export const MISSING_CRD = `The Guitar CRD (${CRD_NAME}) is not installed in the cluster, so no guitar can be created, read or deleted: the controller installs it (CONTROLLER_INSTALL_CRD), or a cluster admin applies k8s/base/crd.yaml.`;

/**
 * What a 404 says is missing. The apiserver names a missing object in the Status's details (the
 * guitar's name, kind "guitars" and group; or kind "namespaces" for its namespace). A type it does
 * not serve gets a 404 naming no object: with no CRD of the group, a plain-text "404 page not
 * found" (seen from v1.36); for a group it serves without this resource, a Status "the server
 * could not find the requested resource" with empty details. Anything not naming the guitar is that.
 */
function missing(err: unknown, name: string): 'namespace' | 'guitar' | 'type' {
  const details = err instanceof KubeApiError ? err.body?.details : undefined;
  if (details?.kind === 'namespaces') return 'namespace';
  if (details?.kind === PLURAL && details.name === name && (details.group ?? GROUP) === GROUP)
    return 'guitar';
  return 'type';
}
