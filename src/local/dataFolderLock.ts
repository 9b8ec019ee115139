import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type DataFolderLock = { release: () => void };

/** Another live runtime holds the folder: the user starts this one differently. */
export class DataFolderInUseError extends Error {}

/**
 * Claims a data folder for this process: two runtimes (and so two Azurites) on one folder would
 * corrupt each other's files, whatever ports they use. The claim is a file holding this process's
 * id, created exclusively; a claim whose process is gone (a runtime killed with SIGKILL) is stale
 * and taken over.
 */
export function lockDataFolder(folder: string): DataFolderLock {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, 'runtime.pid');
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new DataFolderInUseError(
          `The data folder ${folder} is in use by process ${holder} (another npm run local?). ` +
          'Stop that one first, or start this one with --in-memory or another SIPHON_LOCAL_AZURITE_FOLDER.',
        );
      }
      rmSync(path, { force: true });
    }
  }
  return {
    release: () => {
      try {
        if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
      } catch {
        // Already gone: nothing to release.
      }
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
