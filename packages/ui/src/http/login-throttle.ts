import type { Request, Response } from 'express';
import { type RateLimitRequestHandler, rateLimit } from 'express-rate-limit';
import { clientKey } from './client-key.js';

export const LOGIN_FAILURE_LIMIT = 10;
export const LOGIN_WINDOW_MS = 15 * 60_000;

/**
 * Failed sign-ins per client (basic or bearer), counted in express-rate-limit's store. Only
 * failures count; once a client has `limit` of them in the window, it is turned away (429) until
 * the window ends, the right password included, so guessing goes no faster by ignoring 429s.
 */
export class LoginThrottle {
  private readonly failures: RateLimitRequestHandler;

  constructor(
    private readonly limit = LOGIN_FAILURE_LIMIT,
    private readonly windowMs = LOGIN_WINDOW_MS,
  ) {
    this.failures = rateLimit({
      windowMs,
      limit,
      keyGenerator: clientKey,
      requestPropertyName: 'loginRateLimit',
      standardHeaders: false,
      legacyHeaders: false,
      // Its check prints to stderr, outside the JSON logs; TRUST_PROXY is documented instead.
      validate: { xForwardedForHeader: false },
      // Only counting here: wait() turns clients away, before their credentials are looked at.
      handler: (_req, _res, next) => next(),
    });
  }

  /** Seconds this client must wait before signing in again; undefined when it may now. */
  async wait(req: Request): Promise<number | undefined> {
    const info = await this.failures.getKey(clientKey(req));
    if (!info || info.totalHits < this.limit) return undefined;
    const resetAt = info.resetTime?.getTime() ?? Date.now() + this.windowMs;
    return Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
  }

  /** Counts one failed sign-in of this client. */
  failed(req: Request, res: Response): Promise<void> {
    return new Promise((resolve, reject) => {
      void this.failures(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
    });
  }
}
