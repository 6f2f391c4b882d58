import { ApiException } from '@kubernetes/client-node';

/**
 * The HTTP status of a failed Kubernetes API call, or undefined when the call never got an answer
 * (connection refused, DNS, TLS). client-node 2.x throws ApiException with `.code`; its watch
 * reports failures as an Error with `.statusCode`.
 */
export function apiStatus(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  if (err && typeof err === 'object') {
    const { statusCode, code } = err as { statusCode?: unknown; code?: unknown };
    if (typeof statusCode === 'number') return statusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/**
 * The apiserver's own message for a failed call (from the Status body), else the error's message.
 * ApiException carries the body as raw text; it is undefined on a 401.
 */
export function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    if (typeof body === 'string' && body.length > 0) {
      try {
        const status = JSON.parse(body) as { message?: unknown };
        if (typeof status.message === 'string') return status.message;
      } catch {
        return body.slice(0, 500);
      }
    }
    if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
      return (body as { message: string }).message;
    }
    return `HTTP ${err.code}`;
  }
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

/** True when the error means the apiserver could not be reached or is overloaded: worth a retry. */
export function isTransient(err: unknown): boolean {
  const status = apiStatus(err);
  return status === undefined || status === 429 || status >= 500;
}
