import type { Request, Response } from 'express';
import { cookieName, cookieOptions } from './cookies.js';

/**
 * A one-time message shown on the page a POST redirects to (POST-redirect-GET). `parts` alternate
 * the message's own words (even indexes) and text from the user or the cluster (odd: a name, a
 * brand), which the page isolates (<bdi>) so that a right-to-left brand cannot reorder the sentence.
 */
export interface Flash {
  kind: 'success' | 'error';
  parts: string[];
}

/** isolated`Added ${name} (${brand}).`: a message's parts, each interpolated value on its own. */
export function isolated(words: TemplateStringsArray, ...values: string[]): string[] {
  return words.flatMap((word, i) => (i < values.length ? [word, values[i] as string] : [word]));
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
    const { kind, parts } = value;
    if (
      (kind === 'success' || kind === 'error') &&
      Array.isArray(parts) &&
      parts.every((part) => typeof part === 'string')
    ) {
      return { kind, parts };
    }
  } catch {
    // A tampered or stale cookie: no message.
  }
  return undefined;
}
