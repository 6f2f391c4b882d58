import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { FieldErrors } from '../validation.js';
import { HttpError, isHttpError } from './http-error.js';

interface Answer {
  status: number;
  message: string;
  fields?: FieldErrors | undefined;
  headers?: Record<string, string> | undefined;
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Sign in',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Already exists',
  413: 'Too large',
  415: 'Unsupported content',
  421: 'Wrong address',
  422: 'Not valid',
  429: 'Too many requests',
  502: 'Cluster error',
  503: 'Cluster unavailable',
};

/** Anything no route answered: a friendly 404 page, or JSON under /api. */
export const notFound: RequestHandler = (_req, _res, next) => {
  next(new HttpError(404, 'There is no page at this address.'));
};

/**
 * The one place errors become answers: a friendly page for browsers, JSON for the API, never a
 * stack trace (unexpected errors are logged with theirs, and answered with a plain 500).
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      // Too late for an answer: let Express close the connection.
      next(err);
      return;
    }
    const answer = describe(err);
    if (answer.status >= 500 && !isHttpError(err)) (req.log ?? logger).error({ err }, 'request failed');
    res.status(answer.status);
    if (answer.headers) res.set(answer.headers);
    if (wantsJson(req)) {
      res.json({
        status: answer.status,
        message: answer.message,
        ...(answer.fields ? { fields: answer.fields } : {}),
      });
      return;
    }
    const title =
      TITLES[answer.status] ?? (answer.status >= 500 ? 'Something went wrong' : 'Request refused');
    res.render('error', { title, status: answer.status, message: answer.message }, (renderErr, html) => {
      if (renderErr) {
        logger.error({ err: renderErr }, 'rendering the error page failed');
        res.type('text/plain').send(`${answer.message}\n`);
        return;
      }
      res.send(html);
    });
  };
}

function describe(err: unknown): Answer {
  if (isHttpError(err))
    return { status: err.status, message: err.message, fields: err.fields, headers: err.headers };
  // body-parser's errors carry a status and a `type`.
  const { status, type } = (err ?? {}) as { status?: unknown; type?: unknown };
  if (type === 'entity.too.large')
    return { status: 413, message: 'The request body is too large (16 KB at most).' };
  if (type === 'entity.parse.failed') return { status: 400, message: 'The request body is not valid JSON.' };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, message: TITLES[status] ? `${TITLES[status]}.` : 'The request was refused.' };
  }
  return { status: 500, message: 'Something went wrong on our side. It has been logged; please try again.' };
}

function wantsJson(req: Request): boolean {
  return req.path.startsWith('/api/') || req.accepts(['html', 'json']) === 'json';
}
