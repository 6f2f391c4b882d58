import type { Script } from 'node:vm';
// V8 takes a code cache only under the V8 flags it was made with: the apps' heap flags are set
// before any bundle is compiled, in every process that compiles one (the app, the build's).
import './small-heap.js';

// Node's built-ins through process.getBuiltinModule, not `import`: this module is the apps'
// ES module entry point, and an import would build each built-in's ES module facade first.
const fs = process.getBuiltinModule('node:fs');
const vm = process.getBuiltinModule('node:vm');
const { createRequire } = process.getBuiltinModule('node:module');
const { dirname, join } = process.getBuiltinModule('node:path');
const { fileURLToPath } = process.getBuiltinModule('node:url');

/**
 * The apps' bundle (scripts/bundle.ts) is a CommonJS module, compiled here in the wrapper Node's
 * CommonJS loader would put around it. The wrapper's line is counted as line 0, so stack traces
 * give the file's own lines and columns. A hashbang is only valid first in a script: it becomes
 * a comment of the same length.
 */
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) {\n';
const WRAPPER_END = '\n})';

/** The bundle's source as V8 compiles it: the same text always, or a code cache would not fit. */
export function wrapBundle(source: string): string {
  const body = source.startsWith('#!') ? `//${source.slice(2)}` : source;
  return WRAPPER_START + body + WRAPPER_END;
}

type BundleFunction = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
) => void;

export interface CompiledBundle {
  /** false: V8 took the code cache; true: it turned it down (another Node, other V8 flags); undefined: none. */
  cacheRejected: boolean | undefined;
  script: Script;
  /** Runs the bundle's top level, as Node's CommonJS loader would run the file. */
  run(): void;
}

/** A file's bytes, or undefined when it cannot be read (a missing cache is not an error). */
function readIfThere(path: string): Buffer | undefined {
  try {
    return fs.readFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Compiles the bundle with the V8 code cache beside it, if there is one and it fits: V8 then
 * skips parsing and compiling what the cache holds. A cache that does not fit is ignored by V8
 * (`cacheRejected`), and the bundle is compiled from its source, as without one.
 * Why, and the numbers: docs/performance-analysis.md, "Start-up: the code cache".
 */
export function compileBundle(bundlePath: string, cachePath?: string): CompiledBundle {
  // latin1: the bundle is ASCII (esbuild's charset: 'ascii'), and a one-byte string is read as is.
  const source = fs.readFileSync(bundlePath, 'latin1');
  const cachedData = cachePath === undefined ? undefined : readIfThere(cachePath);
  const script = new vm.Script(wrapBundle(source), {
    filename: bundlePath,
    lineOffset: -1,
    ...(cachedData ? { cachedData } : {}),
    // An import() left in the bundle resolves as it would in a module Node loaded.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  return {
    cacheRejected: cachedData ? script.cachedDataRejected === true : undefined,
    script,
    run() {
      const fn = script.runInThisContext() as BundleFunction;
      const module = { exports: {} };
      fn.call(
        module.exports,
        module.exports,
        createRequire(bundlePath),
        module,
        bundlePath,
        dirname(bundlePath),
      );
    },
  };
}

/** The bundle and its code cache, beside the entry point that loads them (dist/index.js). */
export const BUNDLE_FILE = 'bundle.cjs';
export const CODE_CACHE_FILE = 'bundle.cjs.cache';

/** The entry point's job: runs the bundle beside it (entryUrl: its import.meta.url). */
export function runBundleBeside(entryUrl: string): void {
  const dir = dirname(fileURLToPath(entryUrl));
  runBundle(join(dir, BUNDLE_FILE), join(dir, CODE_CACHE_FILE));
}

/**
 * Runs the bundle at bundlePath, with its code cache at cachePath if it fits. With
 * --enable-source-maps, through Node's own CommonJS loader instead, which maps stack traces to
 * the bundle's source map (vm.Script's code does not get that).
 */
export function runBundle(bundlePath: string, cachePath: string): void {
  if (process.sourceMapsEnabled) {
    createRequire(bundlePath)(bundlePath);
    return;
  }
  compileBundle(bundlePath, cachePath).run();
}

/**
 * Runs the bundle with `args` as its command line (an option that exits at once, like --help)
 * and, as the process exits, writes V8's code cache of it to cachePath: made after the top level
 * ran, it holds the functions compiled by then, not only those V8 compiles up front.
 */
export function writeCodeCache(bundlePath: string, cachePath: string, args: readonly string[]): void {
  const bundle = compileBundle(bundlePath);
  process.argv = [process.argv[0] ?? process.execPath, bundlePath, ...args];
  process.once('exit', () => fs.writeFileSync(cachePath, bundle.script.createCachedData()));
  bundle.run();
}
