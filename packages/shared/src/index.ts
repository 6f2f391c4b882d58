// The Guitar domain: the type, its rules and its CRD.
export * from './guitar/brand.js';
export * from './guitar/guitar.js';
export * from './guitar/guitar-crd.js';
export * from './guitar/invisible-characters.js';
// Informers for any kind, and the guitar cache both apps read.
export * from './informer/guitar-cache.js';
export * from './informer/informer.js';
export * from './informer/lister-watcher.js';
// The cluster: the one door (connect) and its clients, errors and paths.
export * from './kube/index.js';
export * from './kube/names.js';
// RBAC diagnostics: who we are, what a 403 refused, and how to fix it (the tests check each
// app's RBAC against its manifests with @guitars/shared/access-check).
export * from './rbac/explain-forbidden.js';
export * from './rbac/forbidden.js';
export * from './rbac/forbidden-reporter.js';
export * from './rbac/who-am-i.js';
// The process: logs and probes (options and zod are exports of their own).
export * from './runtime/logger.js';
export * from './runtime/probes.js';
