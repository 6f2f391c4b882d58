export * from './api-errors.js';
export * from './crd.js';
export * from './guitar.js';
export * from './guitar-informer.js';
export * from './kube-client.js';
export * from './kube-http.js';
export * from './logger.js';
export * from './pooled-kube-config.js';
