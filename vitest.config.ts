import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { TEST_ADMIN, TEST_CLUSTER_SECRET, testToken } from './test/harness/test-identity.js';

// Credentials files the tests save (the quick start's) go here, never to ~/.config/gfs; removed
// when the run ends, pass or fail.
const configDir = mkdtempSync(join(tmpdir(), 'gfs-test-config-'));
process.once('exit', () => rmSync(configDir, { recursive: true, force: true }));

// Integration tests spawn real `gfs` processes from dist/, so `npm test` builds first.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Process-spawning suites compete for 2 cores; run files one after another so timings stay sane.
    fileParallelism: false,
    // Every server a test starts shares one secret and every client is its superuser (issue 7,
    // test/harness/test-identity.ts); child processes inherit these. Credentials files go to a
    // directory of their own, never the developer's ~/.config/gfs.
    env: {
      GFS_SECRET: TEST_CLUSTER_SECRET,
      GFS_TOKEN: testToken({ user: TEST_ADMIN, superuser: true }),
      GFS_CONFIG_DIR: configDir,
    },
  },
});
