import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The test setup every package shares: its tests beside its sources, and one real control plane
 * (etcd + kube-apiserver, from @guitars/testenv) for all of its test files.
 */
export const withControlPlane = defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    globalSetup: [fileURLToPath(import.meta.resolve('@guitars/testenv/vitest-setup'))],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
