import * as z from '../zod.js';

/**
 * How an option's text becomes a value: a zod schema over the raw string (untrimmed: a password
 * may end in a space), and the placeholder --help prints after the flag.
 */
export interface OptionValue<T> {
  schema: z.ZodMiniType<T, string>;
  metavar: string;
  /** Booleans also take a bare `--flag`, meaning true. */
  boolean?: true;
}

/** Text, trimmed. */
export function text(metavar = 'STRING'): OptionValue<string> {
  return {
    schema: z.pipe(
      z.string(),
      z.transform((s) => s.trim()),
    ),
    metavar,
  };
}

/** Text kept exactly as given (passwords, secrets); `min` characters at least. */
export function secret(min = 0): OptionValue<string> {
  return {
    schema: z.string().check(z.minLength(min, `must be at least ${min} characters`)),
    metavar: 'STRING',
  };
}

/** A choice among words. */
export function oneOf<const W extends string>(words: readonly W[], metavar = 'WORD'): OptionValue<W> {
  return custom(metavar, `expected one of ${words.join(', ')}`, (s) =>
    (words as readonly string[]).includes(s) ? (s as W) : undefined,
  );
}

/** true/1/yes or false/0/no, any case. */
export function boolean(): OptionValue<boolean> {
  const value = custom('BOOL', 'expected true or false', (s) => {
    const v = s.toLowerCase();
    if (['true', '1', 'yes'].includes(v)) return true;
    if (['false', '0', 'no'].includes(v)) return false;
    return undefined;
  });
  return { ...value, boolean: true };
}

/** A whole number in [min, max]. */
export function integer(min: number, max = Number.POSITIVE_INFINITY): OptionValue<number> {
  return numeric(true, min, max);
}

/** Any finite number in [min, max]. */
export function number(min: number, max = Number.POSITIVE_INFINITY): OptionValue<number> {
  return numeric(false, min, max);
}

/** 15s, 500ms, 2m, or plain seconds, as milliseconds. */
export function duration(): OptionValue<number> {
  return custom('DURATION', 'expected a duration such as 15s, 500ms or 2m', parseDuration);
}

/** host:port (":8081", "127.0.0.1:0", "[::1]:8081"); an empty host means all interfaces. */
export function address(): OptionValue<{ host: string; port: number }> {
  return custom('ADDRESS', 'expected host:port, e.g. :8081', parseAddress);
}

/** Any other value: `read` returns undefined for text it refuses, and `expected` says why. */
export function custom<T>(
  metavar: string,
  expected: string,
  read: (trimmed: string) => T | undefined,
): OptionValue<T> {
  return {
    metavar,
    schema: z.pipe(
      z.string(),
      z.transform((s, ctx) => {
        const value = read(s.trim());
        if (value !== undefined) return value;
        ctx.issues.push({ code: 'custom', message: expected, input: s });
        return z.NEVER;
      }),
    ),
  };
}

function numeric(whole: boolean, min: number, max: number): OptionValue<number> {
  const range = max === Number.POSITIVE_INFINITY ? `of at least ${min}` : `from ${min} to ${max}`;
  return custom('N', `expected ${whole ? 'a whole number' : 'a number'} ${range}`, (s) => {
    const v = s === '' ? Number.NaN : Number(s);
    const ok = Number.isFinite(v) && (!whole || Number.isInteger(v)) && v >= min && v <= max;
    return ok ? v : undefined;
  });
}

/** "15s", "500ms", "2m", "1.5" (seconds) → milliseconds; undefined when it is none of those. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) return undefined;
  const unit = match[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000;
  return Math.round(Number(match[1]) * factor);
}

/** "host:port", "[::1]:port"; ":port" gives host '' (every address, as Go's ":8081" means). */
function parseAddress(text: string): { host: string; port: number } | undefined {
  const match = /^(.*):(\d+)$/.exec(text);
  if (!match || Number(match[2]) > 65_535) return undefined;
  const host = (match[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(match[2]) };
}
