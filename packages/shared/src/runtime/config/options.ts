import { parseArgs } from 'node:util';
import type { OptionValue } from './values.js';

/** A bad flag or environment variable; the message names it and, unless secret, the value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Readonly<Record<string, string | undefined>>;

/** One option, declared once: where it is read from, how it is checked, its default and its help. */
export interface Option<T> {
  /** The flag without its dashes; none: the environment only (secrets stay out of `ps`). */
  flag?: string;
  env: string;
  value: OptionValue<T>;
  help: string;
  /** Used when neither the flag nor the variable is set (or is blank); none: undefined. */
  default?: T | ((env: Env) => T);
  /** The default as --help prints it; else String(default), or "none". */
  shown?: string;
  /** Never echo the value in an error. */
  secret?: true;
}

export type Options = Record<string, Option<unknown>>;

/** The values read: an option with a default always has one; without, it may be undefined. */
export type Values<O extends Options> = {
  [K in keyof O]: O[K] extends { default: unknown } ? ValueOf<O[K]> : ValueOf<O[K]> | undefined;
};
type ValueOf<O> = O extends Option<infer T> ? T : never;

export type Parsed<O extends Options> = { help: true } | { help: false; values: Values<O> };

/**
 * Reads every option from its flag, else its environment variable, else its default; a blank
 * value counts as unset, as with most Deployments' templating. Throws one ConfigError naming every
 * bad input (`--workers=0: expected ...; PORT=x: ...`).
 */
export function parseOptions<O extends Options>(options: O, argv: readonly string[], env: Env): Parsed<O> {
  const withFlags = Object.values(options).filter((o) => o.flag !== undefined);
  const booleans = new Set(withFlags.filter((o) => o.value.boolean).map((o) => `--${o.flag}`));
  // parseArgs's booleans take no value; reading them as strings accepts --install-crd=false too.
  const args = argv.map((a) => (booleans.has(a) ? `${a}=true` : a));
  let flags: Record<string, unknown>;
  try {
    ({ values: flags } = parseArgs({
      args,
      options: {
        ...Object.fromEntries(withFlags.map((o) => [o.flag, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (err) {
    throw new ConfigError(`${err instanceof Error ? err.message : String(err)} (see --help)`);
  }
  if (flags.help) return { help: true };

  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, o] of Object.entries(options)) {
    const flag = o.flag === undefined ? undefined : flags[o.flag];
    const [text, source] =
      typeof flag === 'string' && flag.trim() !== '' ? [flag, `--${o.flag}`] : [env[o.env], o.env];
    if (text === undefined || text.trim() === '') {
      values[key] = typeof o.default === 'function' ? (o.default as (env: Env) => unknown)(env) : o.default;
      continue;
    }
    const result = o.value.schema.safeParse(text);
    if (result.success) values[key] = result.data;
    else {
      const message = result.error.issues.map((i) => i.message).join(', ');
      problems.push(o.secret ? `${source}: ${message}` : `${source}=${text}: ${message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join('; '));
  return { help: false, values: values as Values<O> };
}

export interface HelpText {
  /** The first line: `Usage: name [options]`. */
  usage: string;
  /** Lines before the options. */
  intro?: readonly string[];
  /** Lines after them. */
  outro?: readonly string[];
}

/** --help: each option with its flag, help line, variable and default, in declaration order. */
export function helpText(options: Options, text: HelpText): string {
  const lines = [`Usage: ${text.usage}`, '', ...(text.intro ?? [])];
  if (text.intro?.length) lines.push('');
  for (const o of Object.values(options)) {
    const shown = o.shown ?? (o.default === undefined ? 'none' : String(o.default));
    const head =
      o.flag === undefined
        ? `  ${o.env} (environment only)`
        : `  --${o.flag}${o.value.boolean ? '[=BOOL]' : `=${o.value.metavar}`}`;
    const from = o.flag === undefined ? '' : `env ${o.env}, `;
    lines.push(head, `      ${o.help}`, `      ${from}default: ${shown}`);
  }
  lines.push('  -h, --help', '      Print this help and exit.');
  if (text.outro?.length) lines.push('', ...text.outro);
  return lines.join('\n');
}
