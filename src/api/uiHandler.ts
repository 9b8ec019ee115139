import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { appRoot } from '../appRoot.js';
import { problem } from './problem.js';
import { capMessage } from '../errors/capMessage.js';

/**
 * What the page may load and where it may talk: only this app's own scripts, styles and API.
 * No inline script or style, no eval, no frames, no other origin; images only from the app or
 * data: URLs (the charts' canvases export none, but the browser's own form icons are data URLs).
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** A file, and its gzip form when that is worth sending (text, smaller by a tenth or more). */
type Asset = { body: Buffer; gzipped?: Buffer; contentType: string; etag: string };

function gzipped(body: Buffer, contentType: string): Buffer | undefined {
  if (!/^(text\/|application\/json)/.test(contentType) || body.length < 1_024) return undefined;
  const packed = gzipSync(body, { level: 9 });
  return packed.length < body.length * 0.9 ? packed : undefined;
}

let assets: Promise<Map<string, Asset>> | undefined;

/**
 * The built dashboard (dist/ui, see tools/buildUi.mjs), read once: its file list is the only
 * set of paths served, so no request path ever reaches the file system.
 */
function loadAssets(): Promise<Map<string, Asset>> {
  assets ??= (async () => {
    const folder = join(appRoot(), 'dist', 'ui');
    const files = (await readdir(folder, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
    const loaded = new Map<string, Asset>();
    for (const file of files) {
      const path = join(file.parentPath, file.name);
      const body = await readFile(path);
      const contentType = contentTypes[extname(file.name)] ?? 'application/octet-stream';
      loaded.set(relative(folder, path).split('\\').join('/'), { body, gzipped: gzipped(body, contentType), contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
    }
    return loaded;
  })().catch((err: unknown) => {
    assets = undefined;
    throw err;
  });
  return assets;
}

/**
 * GET /api/ui/{*path}: the dashboard. A path naming a built file gets it; any other path without
 * a file extension gets the page, whose router shows the view (so every view's URL can be shared
 * and reloaded). Everything revalidates (no-cache + ETag): a deploy is seen on the next load.
 * Text goes gzipped to browsers that take it (the script is ~440 KB, ~130 KB gzipped), compressed
 * once when the files are read, not per request.
 */
export async function serveUi(request: HttpRequest): Promise<HttpResponseInit> {
  const path = request.params.path ?? '';
  let files: Map<string, Asset>;
  try {
    files = await loadAssets();
  } catch {
    return problem(503, 'The dashboard is not built', 'path: dist/ui is missing; run npm run build');
  }
  const asset = files.get(path) ?? (extname(path) === '' ? files.get('index.html') : undefined);
  // The path is the caller's text: echoed capped, as every refusal echoes input.
  if (!asset) return problem(404, 'Not found', `path: the dashboard has no file ${capMessage(path, 200)}`);
  const headers: Record<string, string> = {
    'content-type': asset.contentType,
    'cache-control': 'no-cache',
    etag: asset.etag,
    'content-security-policy': contentSecurityPolicy,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
  const gzip = asset.gzipped !== undefined && /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '');
  if (asset.gzipped) headers.vary = 'Accept-Encoding';
  // The two encodings are two representations, so their ETags differ (RFC 9110 8.8.3).
  if (gzip) headers.etag = `${asset.etag.slice(0, -1)}-gz"`;
  if (request.headers.get('if-none-match') === headers.etag) return { status: 304, headers };
  if (!gzip) return { status: 200, headers, body: asset.body };
  return { status: 200, headers: { ...headers, 'content-encoding': 'gzip' }, body: asset.gzipped };
}
