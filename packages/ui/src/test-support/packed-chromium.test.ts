import { spawnSync } from 'node:child_process';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { brotliCompressSync, createBrotliCompress } from 'node:zlib';
import { pack } from 'tar-fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { extractPacked } from './packed-chromium.js';

/** A bin/ folder laid out as @sparticuz/chromium's, with small stand-ins for its files. */
async function fakeBin(root: string): Promise<string> {
  const bin = join(root, 'bin');
  const staging = join(root, 'staging');
  mkdirSync(join(staging, 'lib'), { recursive: true });
  mkdirSync(join(staging, 'fonts'), { recursive: true });
  mkdirSync(bin);
  writeFileSync(join(staging, 'lib', 'libnss3.so'), 'nss');
  writeFileSync(join(staging, 'fonts', 'Sans.ttf'), 'font');
  writeFileSync(join(bin, 'chromium.br'), brotliCompressSync('#!/bin/sh\necho Chromium 1.2.3\n'));
  for (const [archive, entry] of [
    ['al2023.tar.br', 'lib'],
    ['fonts.tar.br', 'fonts'],
  ] as const) {
    await pipeline(
      pack(staging, { entries: [entry] }),
      createBrotliCompress(),
      createWriteStream(join(bin, archive)),
    );
  }
  return bin;
}

describe('extractPacked', () => {
  let root: string;
  let bin: string;
  let cache: string;
  let dir: string;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'packed-chromium-'));
    bin = await fakeBin(root);
    cache = join(root, 'cache');
    dir = join(cache, '1.2.3');
    return () => rm(root, { recursive: true, force: true });
  });

  it("extracts the browser, its libraries and font, and a fonts.conf adding it to the host's", async () => {
    await extractPacked(bin, dir);
    expect(readdirSync(cache)).toEqual(['1.2.3']);
    expect(readdirSync(dir).sort()).toEqual(['chromium', 'fonts', 'fonts.conf', 'lib']);
    expect(spawnSync(join(dir, 'chromium'), { encoding: 'utf8' }).stdout).toBe('Chromium 1.2.3\n');
    expect(readFileSync(join(dir, 'lib', 'libnss3.so'), 'utf8')).toBe('nss');
    expect(readFileSync(join(dir, 'fonts', 'Sans.ttf'), 'utf8')).toBe('font');
    const fontsConf = readFileSync(join(dir, 'fonts.conf'), 'utf8');
    expect(fontsConf).toContain('<include ignore_missing="yes">/etc/fonts/fonts.conf</include>');
    expect(fontsConf).toContain(`<dir>${join(dir, 'fonts')}</dir>`);
  });

  it('extracts once: a later call uses the folder as it is', async () => {
    await extractPacked(bin, dir);
    const before = statSync(join(dir, 'chromium')).mtimeMs;
    await rm(bin, { recursive: true });
    await extractPacked(bin, dir);
    expect(statSync(join(dir, 'chromium')).mtimeMs).toBe(before);
  });

  it('leaves nothing behind when an archive is broken', async () => {
    writeFileSync(join(bin, 'fonts.tar.br'), 'not brotli');
    await expect(extractPacked(bin, dir)).rejects.toThrow();
    expect(readdirSync(cache)).toEqual([]);
  });

  it('ends with one whole folder when two runs extract at once', async () => {
    await Promise.all([extractPacked(bin, dir), extractPacked(bin, dir)]);
    expect(readdirSync(cache)).toEqual(['1.2.3']);
    expect(readdirSync(dir).sort()).toEqual(['chromium', 'fonts', 'fonts.conf', 'lib']);
  });

  it('removes what an extraction killed midway left, and not what a live one is writing', async () => {
    const dead = spawnSync('true').pid;
    mkdirSync(join(cache, `.partial-${dead}-abc`), { recursive: true });
    mkdirSync(join(cache, `.partial-${process.pid}-def`));
    await extractPacked(bin, dir);
    expect(readdirSync(cache).sort()).toEqual([`.partial-${process.pid}-def`, '1.2.3']);
  });
});
