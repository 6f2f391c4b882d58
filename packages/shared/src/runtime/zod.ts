import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini, not zod: the same checks, and esbuild keeps only the ones used (582 kB of bundle ->
// ~40 kB). It ships without messages ("Invalid input"): English, as
// zod says them. The apps' schemas come from here (`import * as z from '@guitars/shared/zod'`),
// so the locale is set wherever one is. A re-export of a namespace (`export * as z`) would keep
// all of zod in the bundle: hence this module's own namespace.
config(en());

export * from 'zod/mini';
