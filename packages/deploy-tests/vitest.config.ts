import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import { testProjects } from '../../vitest.shared.ts';

// The shared unit and cluster projects, and `node`: the tests on a real node (src/on-a-node), which
// start a control plane of their own with a node, so they neither need nor share the cluster
// project's. `vitest run --project node` runs them alone (.ci/run does).
const ON_A_NODE = 'src/on-a-node/**/*.cluster.test.ts';
const [unit, cluster] = testProjects('src', {
  globalSetup: [fileURLToPath(import.meta.resolve('@guitars/testenv/vitest-setup'))],
});

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      ...(unit ? [unit] : []),
      ...(cluster
        ? [{ ...cluster, test: { ...cluster.test, exclude: [...configDefaults.exclude, ON_A_NODE] } }]
        : []),
      { extends: true, test: { name: 'node', include: [ON_A_NODE], testTimeout: 600_000 } },
    ],
  },
});
