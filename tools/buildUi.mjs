// Bundles the dashboard (src/ui) into dist/ui: one ES module, one stylesheet (its @imports
// inlined), the page. esbuild,
// because the form checks with the API's own zod schemas (src/spec), which the browser can only
// load bundled; it does the TSX too, so there is no second tool. The output ships in the
// package, so the page works offline (Azurite, no CDN).
import { build } from 'esbuild';
import { cp, mkdir, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * zod's `z` namespace re-exports every locale (260 KB minified, more than the rest of the bundle)
 * although the dashboard speaks English, which zod registers from locales/en.js on its own: the
 * locale index is replaced by English alone.
 */
const englishOnlyZod = {
  name: 'zod-english-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: dirname(args.path),
    }));
  },
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(root, 'dist/ui');
await rm(out, { recursive: true, force: true });
await mkdir(resolve(out, 'assets'), { recursive: true });
await build({
  entryPoints: [
    { in: resolve(root, 'src/ui/main.tsx'), out: 'main' },
    { in: resolve(root, 'src/ui/styles.css'), out: 'main' },
  ],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: true,
  outdir: resolve(out, 'assets'),
  logLevel: 'warning',
  plugins: [englishOnlyZod],
  // cron-parser reads the process's time zone when it has one; the browser has none to read.
  define: { 'process.env.TZ': 'undefined' },
});
await cp(resolve(root, 'src/ui/index.html'), resolve(out, 'index.html'));
