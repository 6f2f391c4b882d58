import {
  API_VERSION,
  apiMessage,
  apiStatus,
  type Guitar,
  guitarPath,
  InvalidNameError,
  KIND,
  KubeHttp,
} from '@guitars/shared';
import type { KubeConfig } from '@kubernetes/client-node';
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
 * and turns the apiserver's answers into the UI's HTTP answers. Its paths come from guitarPath, so
 * a namespace or name that is not one (".", "..", "a/b") is refused here before any request, even
 * if a route forgot to check it.
 */
export class GuitarWriter {
  private readonly http: KubeHttp;

  /** One KubeHttp (one connection pool) may be shared with the UI's other callers. */
  constructor(source: KubeConfig | KubeHttp) {
    this.http = source instanceof KubeHttp ? source : new KubeHttp(source);
  }

  async create(guitar: NewGuitar, actor?: Actor): Promise<Guitar> {
    const body: Guitar = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: guitar.name, namespace: guitar.namespace },
      // review: false asks the controller for a review, as the original's samples did.
      spec: { brand: guitar.brand, review: false },
    };
    // The name travels in the body, where the apiserver checks it; the path holds the namespace.
    const path = pathTo(guitar.namespace);
    try {
      return await this.http.request<Guitar>({ method: 'POST', path, body, ...as(actor) });
    } catch (err) {
      throw toHttpError(err, guitar, 'create', actor);
    }
  }

  async delete(namespace: string, name: string, actor?: Actor): Promise<void> {
    const path = pathTo(namespace, name);
    try {
      await this.http.send({ method: 'DELETE', path, ...as(actor) });
    } catch (err) {
      throw toHttpError(err, { namespace, name }, 'delete', actor);
    }
  }

  /** A live read, for guitars outside the cached namespaces. */
  async get(namespace: string, name: string, actor?: Actor): Promise<unknown> {
    const path = pathTo(namespace, name);
    try {
      return await this.http.request<unknown>({ method: 'GET', path, ...as(actor) });
    } catch (err) {
      throw toHttpError(err, { namespace, name }, 'get', actor);
    }
  }

  /** Closes its connections to the apiserver, once no request is in flight. */
  close(): void {
    this.http.close();
  }
}

function as(actor: Actor | undefined): { bearerToken?: string } {
  return actor ? { bearerToken: actor.token } : {};
}

/** The REST path of a namespace's guitars or of one guitar; a 400 naming the field that is not valid. */
function pathTo(namespace: string, name?: string): string {
  try {
    return guitarPath(namespace, name);
  } catch (err) {
    if (!(err instanceof InvalidNameError)) throw err;
    throw new HttpError(400, err.message, { [err.field]: err.message });
  }
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
      if (notFoundKind(err) === 'namespaces') {
        return new HttpError(422, `Namespace "${target.namespace}" does not exist.`, {
          namespace: `Namespace "${target.namespace}" does not exist.`,
        });
      }
      return new HttpError(404, `There is no ${what}.`);
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

/** Status.details.kind of a 404: "namespaces" when the namespace, not the guitar, is missing. */
function notFoundKind(err: unknown): string | undefined {
  const body: unknown = (err as { body?: unknown }).body;
  if (typeof body !== 'string') return undefined;
  try {
    const status = JSON.parse(body) as { details?: { kind?: unknown } };
    return typeof status.details?.kind === 'string' ? status.details.kind : undefined;
  } catch {
    return undefined;
  }
}
