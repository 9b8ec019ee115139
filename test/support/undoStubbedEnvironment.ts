import { afterEach, vi } from 'vitest';

// Unit files share a worker thread (vitest.config.ts): a setting one test stubbed is undone as the
// test ends, before the next file's imports could read it (the config's unstubEnvs only undoes
// them before the next test starts).
afterEach(() => {
  vi.unstubAllEnvs();
});
