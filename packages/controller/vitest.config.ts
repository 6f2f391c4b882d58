import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // One real control plane (etcd + kube-apiserver) for every test file of this package.
    globalSetup: [fileURLToPath(import.meta.resolve('@guitars/testenv/vitest-setup'))],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
