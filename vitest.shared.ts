import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * The two projects every test config here declares, for the test files under `dir`: `unit` (pure
 * logic, no control plane: `npm run test:unit`, seconds) and `cluster` (files named
 * `*.cluster.test.ts`, which start or use a control plane; `globalSetup` starts one for them all).
 */
export function testProjects(
  dir: string,
  { globalSetup }: { globalSetup?: string[] } = {},
): TestProjectInlineConfiguration[] {
  const clusterTests = `${dir}/**/*.cluster.test.ts`;
  return [
    {
      extends: true,
      test: {
        name: 'unit',
        include: [`${dir}/**/*.test.ts`],
        exclude: [...configDefaults.exclude, clusterTests],
        // Pure tests share their workers' modules: the UI's 22 files ran in 35 s isolated, most of
        // it importing Express again for each file, and in under 5 s shared.
        isolate: false,
      },
    },
    {
      extends: true,
      test: { name: 'cluster', include: [clusterTests], ...(globalSetup ? { globalSetup } : {}) },
    },
  ];
}

/**
 * The test setup every package shares, its tests beside its sources in src/; its cluster tests
 * share one real control plane, etcd + kube-apiserver from @guitars/testenv.
 */
export const withControlPlane = defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: testProjects('src', {
      globalSetup: [fileURLToPath(import.meta.resolve('@guitars/testenv/vitest-setup'))],
    }),
  },
});

const ON_A_NODE = 'src/on-a-node/**/*.cluster.test.ts';

/**
 * The same, and `node`: the tests on a real node (src/on-a-node), which each start a control plane
 * with a node of their own, so they neither need nor share the cluster project's. `vitest run
 * --project node` (npm run test:node) runs them alone; npm test skips them unless TESTENV_NODE=1.
 */
export const withControlPlaneAndNode = defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      ...testProjects('src', {
        globalSetup: [fileURLToPath(import.meta.resolve('@guitars/testenv/vitest-setup'))],
      }).map((project) =>
        project.test?.name === 'cluster'
          ? { ...project, test: { ...project.test, exclude: [...configDefaults.exclude, ON_A_NODE] } }
          : project,
      ),
      { extends: true, test: { name: 'node', include: [ON_A_NODE], testTimeout: 600_000 } },
    ],
  },
});
