// Not `import ... from 'node:v8'`: in the apps' ES module entry point (bundle-loader.ts) that
// would build node:v8's ES module facade first, a few ms of start-up.
const { setFlagsFromString } = process.getBuiltinModule('node:v8');

/**
 * V8 heap settings for a small, steady footprint, set by importing this module first thing in an
 * app's entry point (`import '@guitars/shared/small-heap';`), before anything else allocates.
 *
 * Why: V8's defaults let a long-running app hold 2-5 times its live data; these keep RSS near it at
 * the same CPU (measured: docs/performance-analysis.md, "Memory"). Set at run time, not on the
 * command line, so every way of starting an app has them; V8 reads both at each collection.
 *
 * - the young generation keeps its initial size instead of doubling each time many objects
 *   survive: short-lived request garbage dies young either way;
 * - the old generation may grow 30% past its live size before the next full collection.
 */
export const SMALL_HEAP_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=30'] as const;

for (const flag of SMALL_HEAP_FLAGS) setFlagsFromString(flag);
