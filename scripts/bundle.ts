// `node ../../scripts/bundle.ts`, run by an app's `build` after tsc (cwd: packages/controller or
// packages/ui): bundles src/index.ts and everything it imports, node_modules included, into one
// dist/index.js, in place of the entry point tsc emitted (tsc's other dist modules stay, for the
// bench and the tests that import them).
//
// Why: Node keeps every ES module it loads, and @kubernetes/client-node alone is ~1,400 of them;
// one bundle holds far less (measured: docs/performance-analysis.md, "Memory" and "Start-up"). The
// image then needs no node_modules at all.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const crdManifest = fileURLToPath(
  new URL('../packages/shared/crd/guitars.kool.karmalabs.local.yaml', import.meta.url),
);

// The plugins below trim what the bundle holds and evaluates before its first request (measured:
// docs/performance-analysis.md, "Start-up" and "Start-up after the door and the informer").

/**
 * Node's built-ins through `require`, not `import`: an ESM import of a built-in makes Node build
 * its ES module facade, which reads every export, and so runs lazy getters such as node:http's
 * WebSocket, which load Node's own copy of undici. A CommonJS module (what this makes of the
 * import) reads only the properties used, when used.
 */
const builtins = new Set(builtinModules);
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
      contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)});`,
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
const CLIENT_NODE = '/node_modules/@kubernetes/client-node/';
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
      if (fromClientNode && args.path === 'undici') return { path: 'undici', namespace: 'no-undici' };
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'resolving',
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { ...resolved, sideEffects: !resolved.path.includes(CLIENT_NODE) };
    });
    b.onLoad({ filter: /.*/, namespace: 'no-undici' }, () => ({ contents: NO_UNDICI, loader: 'js' }));
  },
};

/**
 * iconv-lite's CJK code tables (~400 kB of the UI's bundle) left out: only a Shift_JIS, GBK, Big5,
 * EUC-JP or EUC-KR body would load one, and body-parser turns those away first (express.json takes
 * only utf-* charsets, express.urlencoded utf-8 and iso-8859-1: 415). Should one be asked for, it
 * throws instead of decoding.
 */
const noCjkTables: Plugin = {
  name: 'no-cjk-tables',
  setup(b) {
    b.onResolve({ filter: /^\.\/tables\/.*\.json$/ }, (args) =>
      args.importer.includes('/node_modules/iconv-lite/')
        ? { path: args.path, namespace: 'no-cjk-tables' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'no-cjk-tables' }, (args) => ({
      contents: `throw new Error('iconv-lite ${args.path} is not bundled (scripts/bundle.ts)');`,
      loader: 'js',
    }));
  },
};

const result = await build({
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.js',
  // tsc wrote dist/index.js a moment ago: this replaces it.
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // Whitespace and syntax only: identifiers keep their names, so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  // V8 keeps a source with any non-ASCII character as a two-byte string: with the comments kept
  // (some have such characters), a 7 MB bundle held its source as 14.5 MB. No legal comments, and
  // non-ASCII characters of strings and regexps escaped: one byte per character.
  legalComments: 'none',
  charset: 'ascii',
  // dist/index.js.map, named by a sourceMappingURL comment, for NODE_OPTIONS=--enable-source-maps:
  // off by default (the images too), as Node then holds the map, decoded once a stack trace is
  // made: 70-100 MB more RSS for these bundles, measured.
  sourcemap: 'linked',
  // An ESM bundle has no `require`, but bundled CommonJS (pino, express, ...) requires Node's
  // built-ins: without one, it throws "Dynamic require of "os" is not supported". esbuild keeps
  // the entry point's `#!/usr/bin/env node` above this banner (the controller has a bin).
  banner: {
    js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);",
  },
  // @guitars/shared reads its CRD manifest beside its own module, which a bundle is not: the
  // manifest goes into the bundle instead (packages/shared/src/crd.ts).
  define: { __GUITAR_CRD_YAML__: JSON.stringify(readFileSync(crdManifest, 'utf8')) },
  // esbuild prints its errors and warnings itself.
  logLevel: 'warning',
  plugins: [builtinsByRequire, clientNodeTrimmed, noCjkTables],
  metafile: true,
}).catch((err: unknown) => {
  // A build error, already printed: exit without the stack of esbuild's internals. Anything else
  // (no esbuild binary for this platform, say) is thrown as it is.
  if (err instanceof Error && 'errors' in err) process.exit(1);
  throw err;
});

// A warning (an import it could not resolve, a require it cannot bundle, a direct eval...) means
// the bundle may break at run time, where no test may look: the build fails on any. Silence one
// known to be harmless with esbuild's `logOverride` above, saying why.
if (result.warnings.length > 0) {
  process.stderr.write(`bundle: ${result.warnings.length} esbuild warning(s) above; failing the build\n`);
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

const output = result.metafile.outputs['dist/index.js'];
const inputs = Object.keys(result.metafile.inputs).length;
process.stdout.write(
  `bundle: ${process.cwd()}/dist/index.js, ${inputs} modules, ${((output?.bytes ?? 0) / 1e6).toFixed(1)} MB\n`,
);
