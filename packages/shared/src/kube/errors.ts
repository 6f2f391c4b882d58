/** The fields of a meta/v1 Status (the apiserver's answer to a refused request) that we read. */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  /** NotFound, AlreadyExists, Conflict, Forbidden, Invalid... */
  reason?: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: Array<{ field?: string; message?: string }>;
  };
  code?: number;
}

/** The request a KubeApiError answers. */
export interface KubeRequestLine {
  method: string;
  path: string;
}

/**
 * The apiserver's refusal of a request: its HTTP status, the Status body it sent (reason,
 * details), and the request it was for. Its message is the apiserver's own words.
 */
export class KubeApiError extends Error {
  override name = 'KubeApiError';
  /** The Status object, when the body was one. */
  readonly body: KubeStatus | undefined;
  readonly reason: string | undefined;

  constructor(
    /** The HTTP status. */
    readonly status: number,
    /** The answer's body as sent (a Status object as JSON, or text from a proxy in between). */
    readonly text: string,
    readonly request: KubeRequestLine,
  ) {
    const body = parseStatus(text);
    super(
      typeof body?.message === 'string' && body.message !== ''
        ? body.message
        : // A body that is no Status (a proxy's page): its start; none at all (a 401): the status.
          (body === undefined && text.trim().slice(0, 500)) || `HTTP ${status}`,
    );
    this.body = body;
    this.reason = typeof body?.reason === 'string' ? body.reason : undefined;
  }
}

function parseStatus(text: string): KubeStatus | undefined {
  if (text === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as KubeStatus)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The HTTP status of a failed Kubernetes API call, or undefined when the call never got an answer
 * (connection refused, DNS, TLS). Errors of other clients (client-node's, in tests and the bench)
 * carry it as a numeric `code` or `statusCode`.
 */
export function apiStatus(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.status;
  if (err && typeof err === 'object') {
    const { statusCode, code } = err as { statusCode?: unknown; code?: unknown };
    if (typeof statusCode === 'number') return statusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** The apiserver's own message for a failed call (from the Status body), else the error's message. */
export function apiMessage(err: unknown): string {
  if (err instanceof KubeApiError) return err.message;
  // Other clients' refusals (client-node's ApiException, in tests and the bench): the Status as text.
  const { body, code } = (err ?? {}) as { body?: unknown; code?: unknown };
  if (typeof code === 'number' && typeof body === 'string')
    return new KubeApiError(code, body, { method: '', path: '' }).message;
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
