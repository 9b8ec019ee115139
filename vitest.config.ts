import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file gets its own process: app settings are process.env, and each file starts its own Azurite.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
