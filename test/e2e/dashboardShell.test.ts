import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnvironment, type TestEnvironment } from '../support/testEnvironment.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { contentSecurityPolicy } from '../../src/api/uiHandler.js';
import { principalHeader } from '../support/principal.js';
import { testSourceSetting } from '../support/testEnvironment.js';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';

function rawGet(url: string, headers: Record<string, string>): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    }).on('error', reject).end();
  });
}

/**
 * The dashboard as the function app serves it: the page and its assets from /api/ui/ under a
 * tight Content-Security-Policy, every view reachable by its own URL (a reload lands on it),
 * navigation by keyboard, in real Chromium.
 */
let env: TestEnvironment;
let browser: TestBrowser;

beforeAll(async () => {
  [env, browser] = await Promise.all([startTestEnvironment('uishell', async () => undefined), launchBrowser()]);
});

afterAll(async () => {
  await browser?.stop();
  await env?.stop();
});

describe('the dashboard shell', () => {
  it('serves the page with a Content-Security-Policy that allows nothing from elsewhere', async () => {
    const response = await fetch(`${env.runtime.url}/api/ui/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toBe(contentSecurityPolicy);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // Revalidation answers 304 without a body.
    const again = await fetch(`${env.runtime.url}/api/ui/`, { headers: { 'if-none-match': response.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('sends the script gzipped to a client that takes gzip, and the same bytes plain to one that does not', async () => {
    const url = `${env.runtime.url}/api/ui/assets/main.js`;
    const plain = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    const plainBytes = Buffer.from(await plain.arrayBuffer());
    // Node's fetch inflates a gzip answer itself; the raw size comes from a request that keeps it.
    const packed = await rawGet(url, { 'accept-encoding': 'gzip' });
    expect(packed.headers['content-encoding']).toBe('gzip');
    expect(packed.headers.vary).toBe('Accept-Encoding');
    expect(packed.body.length).toBeLessThan(plainBytes.length / 2);
    expect(gunzipSync(packed.body).equals(plainBytes)).toBe(true);
    expect(packed.headers.etag).not.toBe(plain.headers.get('etag'));
  });

  it('answers 404 for a file the build does not have, and never reads outside it', async () => {
    for (const path of ['assets/nope.js', 'assets/..%2f..%2fpackage.json', '..%2fpackage.json', 'assets/%2e%2e/%2e%2e/host.json']) {
      const response = await fetch(`${env.runtime.url}/api/ui/${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).not.toContain('"scripts"');
    }
    // A long path is echoed capped, not whole.
    const long = await fetch(`${env.runtime.url}/api/ui/${'a'.repeat(6_000)}.js`);
    expect(long.status).toBe(404);
    expect((await long.text()).length).toBeLessThan(1_000);
  });

  it('opens every view at its own URL and moves between sections by keyboard', async () => {
    const page = await browser.open(`${env.runtime.url}/api/ui/pipelines`);
    await expect.poll(() => page.textContent('h1')).toBe('Pipelines');
    expect(await page.title()).toBe('Pipelines · Siphon');
    // Tab from the top: the skip link first, then the brand and the sections.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.getByRole('link', { name: 'Queries' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toBe(`${env.runtime.url}/api/ui/queries`);
    await page.goBack();
    await expect.poll(() => page.textContent('h1')).toBe('Pipelines');
    expect(browser.pageErrors).toEqual([]);
  });
});

describe('the signed-in caller', () => {
  // The page reads GET /api/me: a reader sees who is signed in, a view-only notice and greyed-out
  // actions (the server refuses them anyway: 403); an operator gets them usable. Forged principals
  // stand in for App Service Authentication, which the local runtime checks when one is present.
  it('greys out the actions for a Siphon.Reader and offers them to a Siphon.Operator', async () => {
    const created = await env.api.post('/api/pipelines', { id: 'roles-page', source: { engine: 'postgres', connectionSetting: testSourceSetting }, query: 'SELECT 1 AS one', output: { container: 'lake' } });
    expect(created.status).toBe(201);

    const reader = await browser.context.newPage();
    await reader.setExtraHTTPHeaders(principalHeader({ name: 'rita@contoso.com', roles: ['Siphon.Reader'] }));
    await reader.goto(`${env.runtime.url}/api/ui/pipelines/roles-page`);
    await expect.poll(() => reader.locator('header .caller').textContent()).toBe('rita@contoso.com');
    await expect.poll(() => reader.getByRole('status').filter({ hasText: 'View only' }).count()).toBe(1);
    expect(await reader.getByRole('button', { name: 'Run now' }).isDisabled()).toBe(true);
    expect(await reader.getByRole('button', { name: 'Delete…' }).isDisabled()).toBe(true);

    const operator = await browser.context.newPage();
    await operator.setExtraHTTPHeaders(principalHeader({ name: 'omar@contoso.com', roles: ['Siphon.Operator'] }));
    await operator.goto(`${env.runtime.url}/api/ui/pipelines/roles-page`);
    await expect.poll(() => operator.locator('header .caller').textContent()).toBe('omar@contoso.com');
    await expect.poll(() => operator.getByRole('button', { name: 'Run now' }).isEnabled()).toBe(true);
    expect(await operator.getByText('View only').count()).toBe(0);
    await Promise.all([reader.close(), operator.close()]);
  });
});
