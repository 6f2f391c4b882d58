import { describe, expect, it } from 'vitest';
import { chooseChromium, SYSTEM_CHROMIUM } from './chromium.js';

const only =
  (...present: string[]) =>
  (path: string) =>
    present.includes(path);

describe('chooseChromium', () => {
  it('takes CHROMIUM_PATH first, even when the system has one', () => {
    expect(chooseChromium({ CHROMIUM_PATH: '/opt/chrome' }, only('/opt/chrome', SYSTEM_CHROMIUM))).toEqual({
      source: 'CHROMIUM_PATH',
      executablePath: '/opt/chrome',
    });
  });

  it('says so when CHROMIUM_PATH names no file, rather than falling back', () => {
    expect(() => chooseChromium({ CHROMIUM_PATH: '/opt/none' }, only(SYSTEM_CHROMIUM))).toThrow(
      'CHROMIUM_PATH=/opt/none: no such file',
    );
  });

  it("takes the system's Chromium when installed, else the npm package's", () => {
    expect(chooseChromium({}, only(SYSTEM_CHROMIUM))).toEqual({
      source: 'system',
      executablePath: SYSTEM_CHROMIUM,
    });
    expect(chooseChromium({}, only())).toEqual({ source: 'npm' });
  });

  it('fails under REQUIRE_CHROMIUM when another one would run', () => {
    expect(chooseChromium({ REQUIRE_CHROMIUM: 'npm' }, only())).toEqual({ source: 'npm' });
    expect(() => chooseChromium({ REQUIRE_CHROMIUM: 'npm' }, only(SYSTEM_CHROMIUM))).toThrow(
      `REQUIRE_CHROMIUM=npm, but the system's Chromium (${SYSTEM_CHROMIUM}) would run`,
    );
    expect(() => chooseChromium({ REQUIRE_CHROMIUM: 'system' }, only())).toThrow(
      'REQUIRE_CHROMIUM=system, but the Chromium of the @sparticuz/chromium package would run',
    );
    expect(() => chooseChromium({ REQUIRE_CHROMIUM: 'debian' }, only(SYSTEM_CHROMIUM))).toThrow(
      'REQUIRE_CHROMIUM=debian: expected one of CHROMIUM_PATH, system, npm',
    );
  });
});
