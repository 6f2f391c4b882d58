import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { compileBundle, runBundleBeside, wrapBundle } from './bundle-loader.js';

const dir = mkdtempSync(join(tmpdir(), 'bundle-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A bundle as scripts/bundle.ts makes one: CommonJS, a hashbang first, Node's built-ins by
// require. It reports what it was given on globalThis, and throws from line 6 when asked to.
const BUNDLE = `#!/usr/bin/env node
const { basename } = require('node:path');
globalThis.bundleRan = { file: basename(__filename), dir: __dirname, self: this === module.exports, exports };
module.exports.answer = 42;
function fail() {
  throw new Error('failed on purpose');
}
if (globalThis.bundleFail) fail();
`;
// Each source its own (a numbered last line): V8 keeps what it compiled in this process, keyed
// by source, and would answer a second compile from there, never reading the cache given.
let n = 0;
function bundleFile(source = BUNDLE): string {
  const path = join(dir, `bundle-${n}.cjs`);
  writeFileSync(path, `${source}// ${n++}\n`);
  return path;
}
const ran = () => (globalThis as { bundleRan?: Record<string, unknown> }).bundleRan;
const node = (args: string[]) =>
  spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
const LOADER = fileURLToPath(import.meta.resolve('@guitars/shared/bundle-loader'));

describe('compileBundle', () => {
  it('runs the bundle as Node would run a CommonJS module', () => {
    const path = bundleFile();
    compileBundle(path).run();
    expect(ran()).toEqual({ file: path.split('/').at(-1), dir, self: true, exports: { answer: 42 } });
  });

  it('says there was no cache when there is none, or it cannot be read, and runs all the same', () => {
    const path = bundleFile();
    expect(compileBundle(path).cacheRejected).toBeUndefined();
    const missing = compileBundle(path, join(dir, 'no-such.cache'));
    expect(missing.cacheRejected).toBeUndefined();
    missing.run();
    expect(ran()?.file).toBe(path.split('/').at(-1));
    // A directory where the cache should be: not readable as a file.
    expect(compileBundle(path, dir).cacheRejected).toBeUndefined();
  });

  it('takes a code cache made from the same source', () => {
    const path = bundleFile();
    const first = compileBundle(path);
    first.run();
    writeFileSync(`${path}.cache`, first.script.createCachedData());
    const cached = compileBundle(path, `${path}.cache`);
    expect(cached.cacheRejected).toBe(false);
    cached.run();
    expect(ran()?.file).toBe(path.split('/').at(-1));
  });

  it('turns down a cache that does not fit (garbage, another source) and runs from the source', () => {
    const path = bundleFile();
    writeFileSync(`${path}.garbage`, Buffer.from('not a V8 code cache at all'));
    const garbage = compileBundle(path, `${path}.garbage`);
    expect(garbage.cacheRejected).toBe(true);
    garbage.run();
    expect(ran()?.exports).toEqual({ answer: 42 });

    // V8 tells sources apart by length (scripts/bundle.ts deletes the cache before it bundles).
    const other = bundleFile(`${BUNDLE}module.exports.other = true;\n`);
    writeFileSync(`${other}.cache`, compileBundle(other).script.createCachedData());
    const mismatched = compileBundle(bundleFile(), `${other}.cache`);
    expect(mismatched.cacheRejected).toBe(true);
    mismatched.run();
    expect(ran()?.exports).toEqual({ answer: 42 });
  });

  it("gives stack traces the file's own lines, the hashbang's included", () => {
    const path = bundleFile();
    const g = globalThis as { bundleFail?: boolean };
    g.bundleFail = true;
    try {
      expect(() => compileBundle(path).run()).toThrow('failed on purpose');
      try {
        compileBundle(path).run();
      } catch (err) {
        expect((err as Error).stack).toContain(`${path}:6:9`);
      }
    } finally {
      g.bundleFail = undefined;
    }
  });

  it('wraps the same source the same way each time, a hashbang as a comment of its length', () => {
    expect(wrapBundle(BUNDLE)).toBe(wrapBundle(BUNDLE));
    expect(wrapBundle('#!/usr/bin/env node\nx();')).toContain('\n///usr/bin/env node\nx();\n})');
    expect(wrapBundle('x();')).toMatch(
      /^\(function \(exports, require, module, __filename, __dirname\) \{\nx\(\);\n\}\)$/,
    );
  });
});

describe('runBundleBeside', () => {
  it('runs dist/bundle.cjs beside the entry point', () => {
    const dist = mkdtempSync(join(dir, 'dist-'));
    writeFileSync(join(dist, 'bundle.cjs'), BUNDLE);
    runBundleBeside(`file://${join(dist, 'index.js')}`);
    expect(ran()).toMatchObject({ file: 'bundle.cjs', dir: dist });
  });
});

describe('writeCodeCache, in a process of its own as the build runs it', () => {
  it('writes a cache, after the run, that a later start takes', () => {
    const path = bundleFile(`${BUNDLE}process.stdout.write(process.argv.slice(2).join(' '));\n`);
    const made = node([
      '--input-type=module',
      '-e',
      `import { writeCodeCache } from ${JSON.stringify(LOADER)}; writeCodeCache(${JSON.stringify(path)}, ${JSON.stringify(`${path}.cache`)}, ['--help']);`,
    ]);
    expect(made.stderr).toBe('');
    expect(made.stdout).toBe('--help');
    expect(readFileSync(`${path}.cache`).length).toBeGreaterThan(0);
    const check = node([
      '--input-type=module',
      '-e',
      `import { compileBundle } from ${JSON.stringify(LOADER)}; process.stdout.write(String(compileBundle(${JSON.stringify(path)}, ${JSON.stringify(`${path}.cache`)}).cacheRejected));`,
    ]);
    expect(check.stdout).toBe('false');
  });
});

describe('with --enable-source-maps', () => {
  it("maps a stack trace to the bundle's sources through its source map", async () => {
    const src = join(dir, 'entry.ts');
    writeFileSync(
      src,
      "const why: string = 'mapped';\n\nexport function boom(): never {\n  throw new Error(why);\n}\nboom();\n",
    );
    const dist = mkdtempSync(join(dir, 'mapped-'));
    await build({
      entryPoints: [src],
      outfile: join(dist, 'bundle.cjs'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      minifyWhitespace: true,
      sourcemap: 'linked',
      logLevel: 'silent',
    });
    writeFileSync(
      join(dist, 'index.js'),
      `import { runBundleBeside } from ${JSON.stringify(LOADER)}; runBundleBeside(import.meta.url);`,
    );
    writeFileSync(join(dist, 'package.json'), '{"type": "module"}');
    const mapped = node(['--enable-source-maps', join(dist, 'index.js')]);
    expect(mapped.status).toBe(1);
    expect(mapped.stderr).toContain(`${src}:4:9`);
    // Without, the bundle's own line: one line, whitespace minified.
    const plain = node([join(dist, 'index.js')]);
    expect(plain.stderr).toContain(`${join(dist, 'bundle.cjs')}:1:`);
  });
});
