import { configDefaults, defineConfig } from 'vitest/config';

// The root's own tests (scripts/): the image tooling's pure logic, and the quick start against a
// real cluster. Each package has its own vitest config.
const CLUSTER_TESTS = 'scripts/**/*.cluster.test.ts';

export default defineConfig({
  test: {
    testTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['scripts/**/*.test.ts'],
          exclude: [...configDefaults.exclude, CLUSTER_TESTS],
          isolate: false,
        },
      },
      { extends: true, test: { name: 'cluster', include: [CLUSTER_TESTS] } },
    ],
  },
});
