import { defineConfig } from 'vitest/config';
import { testProjects } from './vitest.shared.ts';

// The root's own tests (scripts/): the image tooling's pure logic, and the quick start against a
// real cluster, which `npm start` starts itself. Each package has its own vitest config.
export default defineConfig({
  test: {
    testTimeout: 180_000,
    projects: testProjects('scripts'),
  },
});
