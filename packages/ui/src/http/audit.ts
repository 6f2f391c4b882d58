import type { Request } from 'express';
import type { Logger } from 'pino';
import { isHttpError } from './http-error.js';
import { proxyUserOf } from './proxy-identity.js';

export type WriteAction = 'create' | 'delete';

/**
 * One line per create or delete, whatever its outcome: who (the signed-in user in proxy mode, else
 * the UI's own ServiceAccount, `user: null`), what, and the result ("ok" or the HTTP status).
 * Never the token.
 */
export function auditWrite(
  logger: Logger,
  req: Request,
  action: WriteAction,
  target: { namespace: string; name: string },
  err?: unknown,
): void {
  const result = err === undefined ? 'ok' : isHttpError(err) ? String(err.status) : 'error';
  logger.info(
    {
      audit: true,
      action,
      user: proxyUserOf(req)?.user ?? null,
      namespace: target.namespace,
      name: target.name,
      result,
    },
    `guitar ${action} ${result === 'ok' ? 'done' : 'refused'}`,
  );
}

/** Runs a write and audits it, passing on its result or error. */
export async function audited<T>(
  logger: Logger,
  req: Request,
  action: WriteAction,
  target: { namespace: string; name: string },
  write: () => Promise<T>,
): Promise<T> {
  try {
    const result = await write();
    auditWrite(logger, req, action, target);
    return result;
  } catch (err) {
    auditWrite(logger, req, action, target, err);
    throw err;
  }
}
