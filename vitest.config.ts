import { defineConfig } from 'vitest/config';

// The root's own tests: the quick start (scripts/). Each package has its own vitest config.
export default defineConfig({
  test: { include: ['scripts/**/*.test.ts'], testTimeout: 180_000 },
});
