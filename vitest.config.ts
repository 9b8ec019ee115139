import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file gets its own process: app settings are process.env, and each file starts its own Azurite.
    pool: 'forks',
    // Two files at a time: the suites mostly wait on Azurite, PostgreSQL and MariaDB, so on the
    // 2-core machines this halves the wall time (8m06s serial, 4m41s with two: npm test).
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
