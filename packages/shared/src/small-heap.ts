// Not `import ... from 'node:v8'`: in the apps' ES module entry point (bundle-loader.ts) that
// would build node:v8's ES module facade first, a few ms of start-up.
const { setFlagsFromString } = process.getBuiltinModule('node:v8');

/**
 * V8 heap settings for a steady footprint, set by importing this module first thing in an app's
 * entry point (`import '@guitars/shared/small-heap';`), before anything else allocates. Set at
 * run time, not on the command line, so every way of starting an app has them; V8 reads it at
 * each collection.
 *
 * The old generation may grow 30% past its live size before the next full collection: V8's
 * default lets a long-running app hold 2-5 times its live data. The young generation keeps V8's
 * default growth: held at 1 MB, a backlog of 10,000 cost ~20% more CPU per review in scavenges
 * for ~25 MB less peak RSS (docs/performance-analysis.md, "The young generation, from start").
 */
export const SMALL_HEAP_FLAGS = ['--heap-growing-percent=30'] as const;

for (const flag of SMALL_HEAP_FLAGS) setFlagsFromString(flag);

/**
 * For an app whose target is its memory rather than its CPU (the UI): the young generation keeps
 * its initial 1 MB instead of growing under load (~25 MB of RSS under a burst). Called after the
 * bundle is compiled and past `--help`, so the V8 flags the code cache was made and is checked
 * under stay those above (docs/performance-analysis.md, "The young generation, from start").
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
