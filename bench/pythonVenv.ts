import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { progress } from './measure.js';
import { ensurePinnedVenv } from './pinnedVenv.js';

export type BenchVenv = { python: string } | { skipped: string };

/**
 * The Python peers' virtual environment, `.bench-venv/` at the repository root (git-ignored),
 * with the pinned bench/python/requirements.txt (see pinnedVenv.ts). Any failure (no python3, no
 * venv module, an index that cannot be reached) is an answer, not an error: the bench goes on
 * without the Python peers and says why.
 */
export async function ensureBenchVenv(root: string): Promise<BenchVenv> {
  const folder = join(root, '.bench-venv');
  try {
    if (!existsSync(join(folder, 'bin', 'python'))) progress(`Python peers: making ${folder} (python3 -m venv, then pip install -r bench/python/requirements.txt; once, reused after)`);
    const python = await ensurePinnedVenv(folder, join(root, 'bench', 'python', 'requirements.txt'), (line) => {
      if (/^(Collecting|Installing|Successfully)/.test(line)) progress(`  pip: ${line.slice(0, 150)}`);
    });
    return { python };
  } catch (err) {
    return { skipped: `the bench venv could not be made (${err instanceof Error ? err.message : String(err)})` };
  }
}
