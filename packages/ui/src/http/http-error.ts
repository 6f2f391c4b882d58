import type { FieldErrors } from '../validation.js';

/**
 * An error with the HTTP status it should be answered with. `message` is shown to the user, so it
 * never carries internals; field errors go next to their form fields or into the JSON body.
 */
export class HttpError extends Error {
  override name = 'HttpError';

  constructor(
    readonly status: number,
    message: string,
    readonly fields?: FieldErrors,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export function isHttpError(err: unknown): err is HttpError {
  return err instanceof HttpError;
}
