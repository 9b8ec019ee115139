import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/support/slowFirstSequencer.js';

export default defineConfig({
  test: {
    // Four files at a time on the 2-core machines: the suites mostly wait on Azurite, PostgreSQL,
    // MariaDB and the local runtime's timers. With three, a fresh-clone run used 1.45 of the two
    // cores (11m47s of CPU in 8m09s) and npm test took about 7m50s; with four, 6m23s (8 December).
    maxWorkers: 4,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // vi.stubEnv in one test must not leak into the next (unit files share a worker, below).
    unstubEnvs: true,
    // The slowest files start first on a fresh clone, so none is left running alone at the end.
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          // Pure code: one thread imports the sources once for all its files instead of a process
          // per file importing them again (vitest run test/unit test/infra: 64 s -> 44 s, CPU 55 s -> 29 s).
          pool: 'threads',
          isolate: false,
          setupFiles: ['test/support/undoStubbedEnvironment.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          // Each file gets its own process: app settings are process.env, and each file starts its own Azurite.
          pool: 'forks',
          // Memory tests measure what is retained, after a collection, not garbage a loaded machine has not collected yet.
          execArgv: ['--expose-gc'],
        },
      },
    ],
  },
});
