// `node ../../scripts/bundle.ts`, run by an app's `build` after tsc (cwd: packages/controller or
// packages/ui): bundles src/index.ts and everything it imports, node_modules included, into one
// dist/bundle.cjs, and replaces the entry point tsc emitted, dist/index.js, with one that requires
// it (tsc's other dist modules stay, for the bench and the tests that import them).
//
// Why: Node keeps every ES module it loads, and @kubernetes/client-node alone is ~1,400 of them;
// one bundle holds far less (measured: docs/performance.md). The image then needs no node_modules.
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const BUNDLE_FILE = 'bundle.cjs';

/** A build error, already printed by esbuild: exit without the stack of esbuild's internals. */
function exitOnBuildError(err: unknown): never {
  // Anything else (no esbuild binary for this platform, say) is thrown as it is.
  if (err instanceof Error && 'errors' in err) process.exit(1);
  throw err;
}

const crdManifest = fileURLToPath(
  new URL('../packages/shared/crd/guitars.kool.karmalabs.local.yaml', import.meta.url),
);

// The plugins below trim what the bundle holds and evaluates before its first request.

/**
 * Every patch of a dependency's code, declared with `guard(site, patch)` where its path under
 * node_modules is written and marked by `applied` when it matched: after the build, one left
 * unmarked while its package is bundled (an upgrade moved a file or renamed an import) fails the
 * build instead of silently doing nothing.
 */
const patches = new Map<string, { site: string; matched: boolean }>();
function guard(site: string, ...names: string[]): string {
  for (const name of names) patches.set(`${name} in ${site}`, { site, matched: false });
  return site;
}
const applied = (site: string, name: string) => patches.set(`${name} in ${site}`, { site, matched: true });

const builtins = new Set(builtinModules);

/**
 * Built-ins the apps do not use before they are ready, loaded on first use: client-node imports
 * child_process for its exec, Azure and GCP auth and WSL, ~10 ms of start-up (profiled) at once.
 */
const LAZY_BUILTINS = new Set(['child_process']);
function lazyBuiltin(name: string): string {
  const id = JSON.stringify(`node:${name}`);
  const keys = Object.keys(process.getBuiltinModule(`node:${name}`) as object).map((k) => JSON.stringify(k));
  return `let loaded; const load = () => (loaded ??= require(${id}));
module.exports = { ${keys.map((k) => `get ${k}() { return load()[${k}]; }`).join(', ')} };`;
}

/**
 * Node's built-ins through `require`, not `import`: an ESM import of a built-in makes Node build
 * its ES module facade, which reads every export, and so runs lazy getters such as node:http's
 * WebSocket, which load Node's own copy of undici. A CommonJS module (what this makes of the
 * import) reads only the properties used, when used.
 */
const builtinsByRequire: Plugin = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      const bare = args.path.replace(/^node:/, '');
      if (args.namespace === 'builtin' || !builtins.has(bare)) return undefined;
      if (args.kind !== 'import-statement') return undefined;
      return { path: bare, namespace: 'builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: LAZY_BUILTINS.has(args.path)
        ? lazyBuiltin(args.path)
        : `module.exports = require(${JSON.stringify(`node:${args.path}`)});`,
      loader: 'js',
    }));
  },
};

/**
 * client-node's modules marked free of side effects (its package.json says nothing), so that
 * esbuild drops the ones nothing uses: the apps import only KubeConfig, and its ~760 generated
 * model modules go (1.87 -> 1.26 MB for KubeConfig alone).
 * And undici left out: client-node imports it only for the dispatcher of its generated API
 * clients (KubeConfig.applySecurityAuthentication) and its fetch-based helpers, none of which the
 * apps use (our requests go through node:https, kube/http.ts; applyToHTTPSOptions builds a
 * node:https, hpagent or socks agent). Any use throws, saying so, instead of ~1 MB of bundle.
 */
const CLIENT_NODE = guard('/node_modules/@kubernetes/client-node/', 'no side effects', 'no undici');
const NO_UNDICI = `const missing = (name) => {
  throw new Error('undici.' + name + ' is not bundled: use kube/http.ts, not client-node API clients (scripts/bundle.ts)');
};
module.exports = {
  get fetch() { return missing('fetch'); },
  get Agent() { return missing('Agent'); },
  get ProxyAgent() { return missing('ProxyAgent'); },
};`;
const clientNodeTrimmed: Plugin = {
  name: 'client-node-trimmed',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'resolving') return undefined;
      const fromClientNode = args.importer.includes(CLIENT_NODE);
      if (!fromClientNode && args.path !== '@kubernetes/client-node') return undefined;
      if (fromClientNode && args.path === 'undici') {
        applied(CLIENT_NODE, 'no undici');
        return { path: 'undici', namespace: 'no-undici' };
      }
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'resolving',
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      const inClientNode = resolved.path.includes(CLIENT_NODE);
      if (inClientNode) applied(CLIENT_NODE, 'no side effects');
      return { ...resolved, sideEffects: !inClientNode };
    });
    b.onLoad({ filter: /.*/, namespace: 'no-undici' }, () => ({ contents: NO_UNDICI, loader: 'js' }));
  },
};

/**
 * Modules loaded at start by a module that needs them only later, if ever, required on first use
 * instead (~20 ms of start-up, profiled): client-node's socks proxy agent and socks client (a `proxy-url: socks5://`
 * kubeconfig), pino's worker thread for transports (the apps log to stdout), node:assert, which
 * sonic-boom (pino's stdout) calls only as it closes, and prom-client's Pushgateway (node:zlib),
 * which the apps never push to.
 */
const LAZY_MODULES: { importer: string; path: string; shim: (req: string) => string }[] = [
  {
    importer: guard('/node_modules/@kubernetes/client-node/dist/config.js', 'lazy socks-proxy-agent'),
    path: 'socks-proxy-agent',
    shim: (req) => `module.exports = { get SocksProxyAgent() { return ${req}.SocksProxyAgent; } };`,
  },
  {
    importer: guard('/node_modules/@kubernetes/client-node/dist/config.js', 'lazy socks'),
    path: 'socks',
    shim: (req) => `module.exports = { get SocksClient() { return ${req}.SocksClient; } };`,
  },
  {
    importer: guard('/node_modules/prom-client/index.js', 'lazy ./lib/pushgateway'),
    path: './lib/pushgateway',
    shim: (req) => `module.exports = function Pushgateway(...args) { return new (${req})(...args); };`,
  },
  {
    importer: guard('/node_modules/pino/lib/transport.js', 'lazy thread-stream'),
    path: 'thread-stream',
    shim: (req) => `module.exports = function ThreadStream(options) { return new (${req})(options); };`,
  },
  {
    importer: guard('/node_modules/sonic-boom/index.js', 'lazy assert'),
    path: 'assert',
    shim: (req) => `module.exports = function assert(...args) { return ${req}(...args); };`,
  },
];
const lazyModules: Plugin = {
  name: 'lazy-modules',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const lazy = LAZY_MODULES.findIndex((m) => m.path === args.path && args.importer.endsWith(m.importer));
      if (lazy < 0) return undefined;
      const { importer, path } = LAZY_MODULES[lazy] as (typeof LAZY_MODULES)[number];
      applied(importer, `lazy ${path}`);
      return { path: args.path, namespace: 'lazy', pluginData: { lazy, resolveDir: args.resolveDir } };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => {
      const { lazy, resolveDir } = args.pluginData as { lazy: number; resolveDir: string };
      const module = LAZY_MODULES[lazy] as (typeof LAZY_MODULES)[number];
      return { contents: module.shim(`require(${JSON.stringify(module.path)})`), resolveDir, loader: 'js' };
    });
  },
};

/**
 * iconv-lite's CJK code tables (~400 kB of the UI's bundle) left out: only a Shift_JIS, GBK, Big5,
 * EUC-JP or EUC-KR body would load one, and body-parser turns those away first (express.json takes
 * only utf-* charsets, express.urlencoded utf-8 and iso-8859-1: 415). Should one be asked for, it
 * throws instead of decoding.
 */
const ICONV_LITE = guard('/node_modules/iconv-lite/', 'no CJK tables');
const noCjkTables: Plugin = {
  name: 'no-cjk-tables',
  setup(b) {
    b.onResolve({ filter: /^\.\/tables\/.*\.json$/ }, (args) => {
      if (!args.importer.includes(ICONV_LITE)) return undefined;
      applied(ICONV_LITE, 'no CJK tables');
      return { path: args.path, namespace: 'no-cjk-tables' };
    });
    b.onLoad({ filter: /.*/, namespace: 'no-cjk-tables' }, (args) => ({
      contents: `throw new Error('iconv-lite ${args.path} is not bundled (scripts/bundle.ts)');`,
      loader: 'js',
    }));
  },
};

const result = await build({
  entryPoints: ['src/index.ts'],
  // A CommonJS module: its dependencies are CommonJS, run as written (not in an ES module's strict
  // mode); dist/index.js, an ES module as package.json's "type" says, imports it.
  outfile: `dist/${BUNDLE_FILE}`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  // Whitespace and syntax only: identifiers keep their names, so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  // V8 keeps a source with any non-ASCII character as a two-byte string: with the comments kept
  // (some have such characters), a 7 MB bundle held its source as 14.5 MB. No legal comments, and
  // non-ASCII characters of strings and regexps escaped: one byte per character.
  legalComments: 'none',
  charset: 'ascii',
  // dist/bundle.cjs.map, named by a sourceMappingURL comment, for NODE_OPTIONS=--enable-source-maps:
  // off by default (the images too), as Node then holds the map, decoded once a stack trace is
  // made: 70-100 MB more RSS for these bundles, measured.
  sourcemap: 'linked',
  // The sources are ES modules: import.meta.url becomes the bundle's own URL, as it was when the
  // bundle was an ES module.
  banner: { js: 'var __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: {
    'import.meta.url': '__bundleUrl',
    // @guitars/shared reads its CRD manifest beside its own module, which a bundle is not: the
    // manifest goes into the bundle instead (packages/shared/src/guitar/guitar-crd.ts).
    __GUITAR_CRD_YAML__: JSON.stringify(readFileSync(crdManifest, 'utf8')),
  },
  // esbuild prints its errors and warnings itself.
  logLevel: 'warning',
  plugins: [lazyModules, builtinsByRequire, clientNodeTrimmed, noCjkTables],
  metafile: true,
}).catch(exitOnBuildError);

// A warning (an import it could not resolve, a require it cannot bundle, a direct eval...) means
// the bundle may break at run time, where no test may look: the build fails on any. Silence one
// known to be harmless with esbuild's `logOverride` above, saying why.
if (result.warnings.length > 0) {
  process.stderr.write(`bundle: ${result.warnings.length} esbuild warning(s) above; failing the build\n`);
  process.exit(1);
}

// Every patch must have matched where its package is bundled at all (iconv-lite: the UI only).
const inputs = Object.keys(result.metafile.inputs).map((input) => `/${input}`);
const packageOf = (site: string) => site.match(/^\/node_modules\/(@[^/]+\/)?[^/]+\//)?.[0] ?? site;
const unmatched = [...patches]
  .filter(([, { site, matched }]) => !matched && inputs.some((input) => input.includes(packageOf(site))))
  .map(([name]) => name);
if (unmatched.length > 0) {
  process.stderr.write(
    `bundle: patches that matched nothing (a dependency changed? update or remove them in scripts/bundle.ts): ${unmatched.join('; ')}\n`,
  );
  process.exit(1);
}

// What the plugins above keep out must stay out: a new import of undici or of full zod (not
// zod/mini through @guitars/shared/zod) would bring back ~1 MB unnoticed.
const KEPT_OUT = ['/node_modules/undici/', '/node_modules/zod/v4/classic/'];
const crept = Object.keys(result.metafile.inputs).filter((input) =>
  KEPT_OUT.some((dir) => `/${input}`.includes(dir)),
);
if (crept.length > 0) {
  process.stderr.write(
    `bundle: ${crept.length} module(s) that should stay out of the bundle came in, e.g. ${crept[0]} (see scripts/bundle.ts)\n`,
  );
  process.exit(1);
}

// dist/index.js, the entry point (`node dist/index.js`, the package's main and bin), in place of
// the one tsc wrote: it requires the bundle (an `import` of it would first scan its 0.6-2 MB for
// CommonJS exports, measured ~0.1 s slower to --help).
writeFileSync(
  'dist/index.js',
  `#!/usr/bin/env node
import { createRequire } from 'node:module';
createRequire(import.meta.url)('./${BUNDLE_FILE}');
`,
);
// Executable, as the package's bin (tsc wrote it without the bit).
chmodSync('dist/index.js', 0o755);
// tsc's map of the entry point it wrote, which is gone.
rmSync('dist/index.js.map', { force: true });

const output = result.metafile.outputs[`dist/${BUNDLE_FILE}`];
process.stdout.write(
  `bundle: ${process.cwd()}/dist/${BUNDLE_FILE}, ${inputs.length} modules, ${((output?.bytes ?? 0) / 1e6).toFixed(2)} MB\n`,
);
