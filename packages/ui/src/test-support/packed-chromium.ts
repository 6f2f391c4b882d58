import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createBrotliDecompress } from 'node:zlib';
import { type ExtractOptions, extract } from 'tar-fs';

/** How to run the Chromium that @sparticuz/chromium packs, once extracted. */
export interface PackedChromium {
  executablePath: string;
  /** The package's version, which names its Chromium build (153.0.0 packs Chromium 153). */
  packageVersion: string;
  /** Added to the browser's environment: its own NSS/NSPR libraries, and a fontconfig file. */
  env: Record<string, string>;
}

/**
 * The Chromium packed in the @sparticuz/chromium npm package: a headless build, the NSS, NSPR
 * and expat libraries it links (for hosts without them) and a font, brotli-compressed. It is
 * extracted once into `~/.cache/guitars-chromium/<version>/` (not the package's own /tmp/chromium,
 * which every user and version of the machine would share) and run with its own libraries, so it
 * runs on any x64 Linux host, with or without NSS or fonts.
 */
export async function packedChromium(env: NodeJS.ProcessEnv = process.env): Promise<PackedChromium> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `@sparticuz/chromium packs Chromium for x64 Linux only, not ${process.platform}/${process.arch}: ` +
        'install Chromium and set CHROMIUM_PATH',
    );
  }
  const packageDir = join(dirname(fileURLToPath(import.meta.resolve('@sparticuz/chromium'))), '..');
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const dir = join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'guitars-chromium', version);
  await extractPacked(join(packageDir, 'bin'), dir);
  return {
    executablePath: join(dir, 'chromium'),
    packageVersion: version,
    env: {
      LD_LIBRARY_PATH: [join(dir, 'lib'), env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_FILE: join(dir, 'fonts.conf'),
    },
  };
}

/**
 * Extracts `chromium.br`, `al2023.tar.br` (lib/) and `fonts.tar.br` (fonts/) from `binDir` into
 * `dir`, unless it is there already. All of it goes into a sibling folder first, renamed to `dir`
 * at the end, so `dir` is complete or absent: an interrupted extraction is never used, and two
 * test runs extracting at once both end with the same whole folder.
 */
export async function extractPacked(binDir: string, dir: string): Promise<void> {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  await removeAbandoned(parent);
  const partial = await mkdtemp(join(parent, `.partial-${process.pid}-`));
  try {
    // allSettled: on a failure, the other archives stop writing before the folder is removed.
    const results = await Promise.allSettled([
      pipeline(
        createReadStream(join(binDir, 'chromium.br')),
        createBrotliDecompress(),
        createWriteStream(join(partial, 'chromium'), { mode: 0o755 }),
      ),
      pipeline(
        createReadStream(join(binDir, 'al2023.tar.br')),
        createBrotliDecompress(),
        extract(partial, NOT_OWNED),
      ),
      pipeline(
        createReadStream(join(binDir, 'fonts.tar.br')),
        createBrotliDecompress(),
        extract(partial, NOT_OWNED),
      ),
    ]);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
    // The host's fonts where it has some (the packed font lacks symbols such as ♪ and ●), and
    // the packed one for hosts with none. The package's own fonts.conf names /tmp/fonts only.
    await writeFile(
      join(partial, 'fonts.conf'),
      '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n' +
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n' +
        `  <dir>${join(dir, 'fonts')}</dir>\n  <cachedir>${join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    await rename(partial, dir);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    // Another run renamed its complete copy into place first: use that one.
    if (existsSync(dir) && isCode(err, 'ENOTEMPTY', 'EEXIST')) return;
    throw err;
  }
}

/**
 * As root, tar-fs would give the files the archive's owner (uid 1001); `chown` is a tar-fs 3
 * option that its types (written for tar-fs 2) do not list.
 */
const NOT_OWNED = { chown: false } as ExtractOptions;

/** Removes `.partial-<pid>-*` folders whose process is gone (killed mid-extraction). */
async function removeAbandoned(parent: string): Promise<void> {
  for (const name of await readdir(parent)) {
    const pid = /^\.partial-(\d+)-/.exec(name)?.[1];
    if (pid && !isAlive(Number(pid))) await rm(join(parent, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isCode(err, 'ESRCH');
  }
}

function isCode(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && 'code' in err && codes.includes(String(err.code));
}
