/**
 * glibc malloc settings for the apps' processes, in their environment: the images set them (ENV in
 * each Dockerfile, checked by deploy-tests), `npm start` and the benchmark pass them. glibc reads
 * them once, when the process starts, so an app cannot set them for itself the way it sets its V8
 * heap flags (small-heap.ts).
 *
 * Why, measured with 10,000 guitars cached (docs/performance-analysis.md), RSS controller / UI:
 * 116 / 134 MB without, 100 / 114 MB with, at the same CPU per review.
 * - MALLOC_ARENA_MAX: glibc gives each thread that mallocs (V8's compiler and GC helpers, libuv's
 *   pool) an arena of its own, up to 8 per core, each keeping what it once held: ~10 MB here.
 *   Two is the usual setting for containers (the JVM's and Node's images' advice alike).
 * - MALLOC_MMAP_THRESHOLD_: V8 parses the 4 MB bundle at start with ~15 MB of compiler memory that
 *   it frees at once, but from the middle of the heap, which glibc never gives back. Blocks of
 *   32 KB and more (V8's compiler zones grow to that) are mapped on their own, and unmapped when
 *   freed. Setting it also stops glibc from raising it on its own after such frees.
 */
export const MALLOC_ENV = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '32768',
} as const;
