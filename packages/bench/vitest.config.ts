import { defineConfig } from 'vitest/config';

// Only the pure helpers are tested here; the benchmarks themselves run with `npm run bench`.
export default defineConfig({
  test: { include: ['src/**/*.test.ts'] },
});
