import { setFlagsFromString } from 'node:v8';

/**
 * V8 heap settings for a small, steady footprint, set by importing this module first thing in an
 * app's entry point (`import '@guitars/shared/small-heap';`), before anything else allocates.
 *
 * Why: by default V8 lets the young generation grow to 3 x 16 MB and the old one to several times
 * its live size before collecting, which suits a short burst of work but leaves a long-running
 * controller or UI holding 2-5 times its ~30 MB of live data. Measured with 10,000 guitars (the
 * controller reviewing all of them; docs/performance-analysis.md): RSS 164 MB by default, 123 MB
 * with these two settings, with the same CPU per review (4.6-4.9 s vs 4.7-5.3 s for 10,000) and
 * throughput. They are set at run time, not on the command line, so that every way of starting
 * an app (the images, `npm start`, the tests, the benchmarks) runs with them. Both are read by V8
 * at each collection, so setting them now takes effect (V8's `--max-semi-space-size` would not:
 * it is read once at start-up, hence the growth factor instead).
 *
 * - the young generation keeps its initial size instead of doubling each time many objects
 *   survive: short-lived request garbage dies young either way;
 * - the old generation may grow 30% past its live size before the next full collection.
 */
export const SMALL_HEAP_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=30'] as const;

for (const flag of SMALL_HEAP_FLAGS) setFlagsFromString(flag);
