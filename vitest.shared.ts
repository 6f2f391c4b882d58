import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

/** Tests that start or use a control plane; every other test file is a unit test. */
const CLUSTER_TESTS = 'src/**/*.cluster.test.ts';

/**
 * The test setup every package shares, its tests beside its sources, in two projects: `unit`
 * (pure logic, no control plane: `npm run test:unit`, seconds) and `cluster` (one real control
 * plane, etcd + kube-apiserver from @guitars/testenv, for all of the package's cluster test files).
 */
export const withControlPlane = defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          exclude: [...configDefaults.exclude, CLUSTER_TESTS],
          // Pure tests share their workers' modules: the UI's 22 files ran in 35 s isolated, most of
          // it importing Express again for each file, and in under 5 s shared.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: [CLUSTER_TESTS],
          globalSetup: [fileURLToPath(import.meta.resolve('@guitars/testenv/vitest-setup'))],
        },
      },
    ],
  },
});
