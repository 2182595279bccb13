import { defineConfig } from 'vitest/config';

// Integration tests spawn real `gfs` processes from dist/, so `npm test` builds first.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Process-spawning suites compete for 2 cores; run files one after another so timings stay sane.
    fileParallelism: false,
  },
});
