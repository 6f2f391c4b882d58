/**
 * glibc malloc settings for the apps' processes, in their environment: the images set them (ENV in
 * each Dockerfile, checked by deploy-tests), `npm start` and the benchmark pass them. glibc reads
 * them once, when the process starts, so an app cannot set them for itself the way it sets its V8
 * heap flags (small-heap.ts).
 *
 * Why (measured in docs/performance-analysis.md, "Memory": ~15 MB less RSS per app at the same CPU):
 * - MALLOC_ARENA_MAX: glibc gives each thread that mallocs (V8's compiler and GC helpers, libuv's
 *   pool) an arena of its own, each keeping what it once held. Two is the usual container setting.
 * - MALLOC_MMAP_THRESHOLD_: V8's start-up parse frees its compiler memory from the middle of the
 *   heap, which glibc never gives back; blocks of 32 KB and more are mapped and unmapped instead.
 */
export const MALLOC_ENV = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '32768',
} as const;
