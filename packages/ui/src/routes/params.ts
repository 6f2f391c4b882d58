import type { Request } from 'express';
import { HttpError } from '../http-error.js';

/** The `:namespace/:name` of a guitar route (typed: Express loses the path's types past middleware). */
export function guitarParams(req: Request): { namespace: string; name: string } {
  const { namespace, name } = req.params as Record<string, unknown>;
  if (typeof namespace !== 'string' || typeof name !== 'string') throw new HttpError(404, 'No such guitar.');
  return { namespace, name };
}
