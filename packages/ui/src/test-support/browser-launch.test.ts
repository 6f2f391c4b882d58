import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Every browser test starts its browser through `launchChromium` (chromium.ts), which falls back
 * to the Chromium npm installed: a test that names a system path or launches a browser by another
 * route passes only on machines where someone installed one by hand (issue 22).
 */
const REPO = fileURLToPath(new URL('../../../..', import.meta.url));
/** The resolver itself, the packed-browser extractor and this file may name what they check. */
const ALLOWED = new Set([
  'packages/ui/src/test-support/chromium.ts',
  'packages/ui/src/test-support/chromium.test.ts',
  'packages/ui/src/test-support/packed-chromium.ts',
  'packages/ui/src/test-support/browser-launch.test.ts',
]);
const OTHER_ROUTES: [string, RegExp][] = [
  ['a system Chromium path', /\/usr\/(?:local\/)?bin\/chromium|\/usr\/lib\/chromium|google-chrome/],
  [
    'a playwright launch',
    /\b(?:chromium|firefox|webkit)\s*\.\s*(?:launch|launchPersistentContext|launchServer|connect|connectOverCDP)\s*\(/,
  ],
  ['an executable path', /\bexecutablePath\s*:/],
  [
    'another browser driver',
    /from\s+['"](?:puppeteer[^'"]*|playwright|@playwright\/test|selenium-webdriver)['"]/,
  ],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path);
    return /\.[cm]?[jt]s$/.test(entry.name) ? [path] : [];
  });
}

/** What `text` does that only chromium.ts may: each as `file:line: what`. */
function otherBrowserRoutes(file: string, text: string): string[] {
  return text
    .split('\n')
    .flatMap((line, i) =>
      OTHER_ROUTES.filter(([, pattern]) => pattern.test(line)).map(([what]) => `${file}:${i + 1}: ${what}`),
    );
}

describe('browser launches', () => {
  it('finds each other route in a sample', () => {
    const sample = [
      "const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';",
      'browser = await chromium.launch({',
      '  executablePath: CHROMIUM,',
      "import puppeteer from 'puppeteer-core';",
    ].join('\n');
    expect(otherBrowserRoutes('x.ts', sample)).toEqual([
      'x.ts:1: a system Chromium path',
      'x.ts:2: a playwright launch',
      'x.ts:3: an executable path',
      'x.ts:4: another browser driver',
    ]);
    expect(otherBrowserRoutes('x.ts', 'const launched = await launchChromium(process.env);')).toEqual([]);
  });

  it('go through launchChromium in every package and script', () => {
    const files = ['packages', 'scripts'].flatMap((dir) => sourceFiles(join(REPO, dir)));
    expect(files.length).toBeGreaterThan(100);
    const found = files
      .map((path) => relative(REPO, path))
      .filter((file) => !ALLOWED.has(file))
      .flatMap((file) => otherBrowserRoutes(file, readFileSync(join(REPO, file), 'utf8')));
    expect(found).toEqual([]);
  });
});
