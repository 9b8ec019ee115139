import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding host.json: the project root locally, the package root in Azure; whether
 * the code runs from src/ (tests) or dist/src/ (built).
 */
export function appRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(resolve(folder, 'host.json'))) return folder;
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`host.json not found in any folder above ${fileURLToPath(import.meta.url)}`);
    folder = parent;
  }
}
