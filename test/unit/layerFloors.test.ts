import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The floors of DESIGN.md, read from the import statements themselves: the CLI and the dashboard
 * sit above the API (they reach the server over HTTP) and may use src/spec's types and schemas;
 * nothing else in src/ imports them, and functions/ imports only the registry (and its host glue).
 */
const root = process.cwd();

function sourceFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split('\\').join('/'));
}

/**
 * Every relative import of a file, as a path from the project root; packages as their names.
 * Type-only imports count only `withTypes`: they are erased at build time and bundle nothing.
 */
function importsOf(file: string, options: { withTypes?: boolean } = {}): { local: string[]; packages: string[] } {
  const text = readFileSync(join(root, file), 'utf8');
  const statement = options.withTypes ? /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g : /(?:^|\n)\s*(?:import|export)\s(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]/g;
  const specifiers = [...text.matchAll(statement), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
  const local = specifiers.filter((s) => s.startsWith('.')).map((s) => relative(root, resolve(dirname(join(root, file)), s)).split('\\').join('/'));
  const packages = specifiers.filter((s) => !s.startsWith('.')).map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
  return { local, packages };
}

const srcFiles = sourceFiles('src');

describe('the floors', () => {
  it('nothing in src/ outside the CLI and the dashboard imports them', () => {
    const offenders = srcFiles
      .filter((file) => !file.startsWith('src/cli/') && !file.startsWith('src/ui/'))
      .flatMap((file) => importsOf(file, { withTypes: true }).local.filter((target) => target.startsWith('src/cli/') || target.startsWith('src/ui/')).map((target) => `${file} -> ${target}`));
    expect(offenders).toEqual([]);
  });

  it('the dashboard imports only itself, src/spec and its browser libraries', () => {
    const allowedPackages = new Set(['preact', 'uplot', 'zod']);
    const offenders = srcFiles
      .filter((file) => file.startsWith('src/ui/'))
      .flatMap((file) => {
        const { local, packages } = importsOf(file, { withTypes: true });
        return [
          ...local.filter((target) => !target.startsWith('src/ui/') && !target.startsWith('src/spec/')).map((target) => `${file} -> ${target}`),
          ...packages.filter((name) => !allowedPackages.has(name)).map((name) => `${file} -> ${name}`),
        ];
      });
    expect(offenders).toEqual([]);
  });

  it('what the dashboard bundles from src/spec stays browser-safe (no node: modules, settings or SQL parsers)', () => {
    const seen = new Set<string>();
    const queue = srcFiles.filter((file) => file.startsWith('src/ui/')).flatMap((file) => importsOf(file).local).filter((target) => target.startsWith('src/spec/'));
    const offenders: string[] = [];
    while (queue.length) {
      const target = queue.pop()!;
      if (seen.has(target)) continue;
      seen.add(target);
      const file = target.replace(/\.js$/, '.ts');
      const { local, packages } = importsOf(file);
      offenders.push(...packages.filter((name) => name.startsWith('node:') || !['zod', 'cron-parser'].includes(name)).map((name) => `${file} -> ${name}`));
      offenders.push(...local.filter((next) => !next.startsWith('src/spec/')).map((next) => `${file} -> ${next}`));
      queue.push(...local.filter((next) => next.startsWith('src/spec/')));
    }
    expect(offenders).toEqual([]);
  });

  it('the CLI reaches Siphon through the API: it imports only itself and src/spec (and the shared terminal number format)', () => {
    // The demo (src/local) and the CLI print counts and sizes alike; the formatter lives beside the demo's bar.
    const allowed = (target: string) => target.startsWith('src/cli/') || target.startsWith('src/spec/') || target === 'src/local/progressBar.js';
    const offenders = srcFiles
      .filter((file) => file.startsWith('src/cli/'))
      .flatMap((file) => importsOf(file, { withTypes: true }).local.filter((target) => !allowed(target)).map((target) => `${file} -> ${target}`));
    expect(offenders).toEqual([]);
  });

  it('functions/ imports only the registry and the durable client glue', () => {
    const offenders = sourceFiles('functions').flatMap((file) => importsOf(file).local.filter((target) => !['src/registry.js', 'src/jobs/durableClientStarter.js'].includes(target)).map((target) => `${file} -> ${target}`));
    expect(offenders).toEqual([]);
  });
});
