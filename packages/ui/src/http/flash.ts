import type { Request, Response } from 'express';
import { cookieName, cookieOptions } from './cookies.js';

/** A one-time message shown on the page a POST redirects to (POST-redirect-GET). */
export interface Flash {
  kind: 'success' | 'error';
  text: string;
}

const FLASH_COOKIE = 'gc_flash';

/** Keeps the message in a signed cookie (cookie-parser): short, and never trusted unsigned. */
export function setFlash(req: Request, res: Response, flash: Flash): void {
  res.cookie(cookieName(req, FLASH_COOKIE), JSON.stringify(flash), {
    ...cookieOptions(req),
    signed: true,
    maxAge: 60_000,
  });
}

/** Reads and clears the message, if any. */
export function takeFlash(req: Request, res: Response): Flash | undefined {
  const name = cookieName(req, FLASH_COOKIE);
  const signed: unknown = req.signedCookies;
  const raw = signed && typeof signed === 'object' ? (signed as Record<string, unknown>)[name] : undefined;
  if (raw === undefined) return undefined;
  res.clearCookie(name, cookieOptions(req));
  if (typeof raw !== 'string') return undefined;
  try {
    const value = JSON.parse(raw) as Partial<Flash>;
    if ((value.kind === 'success' || value.kind === 'error') && typeof value.text === 'string') {
      return { kind: value.kind, text: value.text };
    }
  } catch {
    // A tampered or stale cookie: no message.
  }
  return undefined;
}
