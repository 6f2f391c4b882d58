import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { packedChromium } from './packed-chromium.js';

/** Debian's Chromium (`apt-get install chromium`), used when installed. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Where the browser comes from: CHROMIUM_PATH, the system's, or the @sparticuz/chromium package. */
export type ChromiumSource = 'CHROMIUM_PATH' | 'system' | 'npm';
const SOURCES: readonly string[] = ['CHROMIUM_PATH', 'system', 'npm'] satisfies ChromiumSource[];

export type ChromiumChoice =
  | { source: 'CHROMIUM_PATH' | 'system'; executablePath: string }
  | { source: 'npm'; executablePath?: undefined };

/** Flags for every Chromium: headless, and no background traffic to Google's services. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * CHROMIUM_PATH if set; else the system's Chromium if installed; else the one npm installed.
 * REQUIRE_CHROMIUM=<source> fails unless that one is chosen: `.ci/run` proves with it that the
 * npm Chromium is what ran where the system's is hidden.
 */
export function chooseChromium(
  env: NodeJS.ProcessEnv,
  exists: (path: string) => boolean = existsSync,
): ChromiumChoice {
  const choice: ChromiumChoice = env.CHROMIUM_PATH
    ? { source: 'CHROMIUM_PATH', executablePath: env.CHROMIUM_PATH }
    : exists(SYSTEM_CHROMIUM)
      ? { source: 'system', executablePath: SYSTEM_CHROMIUM }
      : { source: 'npm' };
  if (choice.source === 'CHROMIUM_PATH' && !exists(choice.executablePath))
    throw new Error(`CHROMIUM_PATH=${choice.executablePath}: no such file`);
  const required = env.REQUIRE_CHROMIUM;
  if (required && !SOURCES.includes(required))
    throw new Error(`REQUIRE_CHROMIUM=${required}: expected one of ${SOURCES.join(', ')}`);
  if (required && required !== choice.source)
    throw new Error(`REQUIRE_CHROMIUM=${required}, but ${describeChoice(choice)} would run`);
  return choice;
}

function describeChoice(choice: ChromiumChoice): string {
  if (choice.source === 'npm') return 'the Chromium of the @sparticuz/chromium package';
  if (choice.source === 'system') return `the system's Chromium (${choice.executablePath})`;
  return `CHROMIUM_PATH's Chromium (${choice.executablePath})`;
}

export interface LaunchedChromium {
  browser: Browser;
  source: ChromiumSource;
  /** One line for the test's output: which browser ran, its version and where it is. */
  description: string;
}

/**
 * Launches the chosen Chromium headless, through playwright-core (which never downloads one).
 * Every browser test starts its browser here (`browser-launch.test.ts` checks), so each runs on a
 * machine where nothing was installed by hand. `args` are added to CHROMIUM_ARGS.
 */
export async function launchChromium(
  env: NodeJS.ProcessEnv = process.env,
  { args = [] }: { args?: string[] } = {},
): Promise<LaunchedChromium> {
  const choice = chooseChromium(env);
  const run =
    choice.source === 'npm'
      ? await packedChromium(env).then((packed) => ({
          ...packed,
          from: `@sparticuz/chromium ${packed.packageVersion}`,
        }))
      : {
          executablePath: choice.executablePath,
          env: {},
          from: choice.source === 'system' ? 'the system' : 'CHROMIUM_PATH',
        };
  const browserEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...env, ...run.env }))
    if (value !== undefined) browserEnv[key] = value;
  const browser = await chromium.launch({
    executablePath: run.executablePath,
    args: [...CHROMIUM_ARGS, ...args],
    env: browserEnv,
  });
  return {
    browser,
    source: choice.source,
    description: `Chromium ${browser.version()} from ${run.from} (${run.executablePath})`,
  };
}
