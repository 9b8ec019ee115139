import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';

/**
 * The cockpit's views (overview, pipelines, pipeline) in real Chromium against the local runtime,
 * PostgreSQL and Azurite: two pipelines, one whose query fails at run time, each run once
 * through the API; then what the pages show is read from the DOM, and what their buttons do is
 * read back through the API.
 */
let env: TestEnvironment;
let browser: TestBrowser;
let page: Page;

const good = 'views-orders';
const broken = 'views-broken';
const firstRuns: Record<string, string> = {};

beforeAll(async () => {
  [env, browser] = await Promise.all([
    startTestEnvironment('uiviews', async (db) => {
      await db.query(`CREATE TABLE orders (id int PRIMARY KEY, amount numeric(10,2), updated_at timestamptz NOT NULL)`);
      await db.query(`INSERT INTO orders SELECT i, i * 1.5, timestamptz '2024-01-01' + i * interval '1 minute' FROM generate_series(1, 500) i`);
    }),
    launchBrowser(),
  ]);
  const source = { engine: 'postgres', connectionSetting: testSourceSetting };
  const output = { container: 'views' };
  const specs = [
    { id: good, description: 'Orders for the cockpit', source, table: { name: 'orders' }, incremental: { column: 'updated_at' }, output, schedule: { cron: '0 3 * * *', timeZone: 'UTC' } },
    // Division by zero happens only when rows are read: the pipeline is accepted, its run fails.
    { id: broken, source, query: 'SELECT id, 1 / (id - id) AS boom FROM orders', output, retry: { maxAttempts: 1 } },
  ];
  for (const spec of specs) expect((await env.api.post('/api/pipelines', spec)).status).toBe(201);
  await Promise.all(
    specs.map(async ({ id }) => {
      const triggered = await env.api.post(`/api/pipelines/${id}/runs`);
      expect(triggered.status).toBe(202);
      const run = await env.api.waitForRun(triggered.headers.get('location')!, 30_000);
      expect(run.status).toBe(id === good ? 'succeeded' : 'failed');
      firstRuns[id] = run.runId;
    }),
  );
  page = await browser.open(`${env.runtime.url}/api/ui/pipelines`);
});

afterAll(async () => {
  await browser?.stop();
  await env?.stop();
});

const row = (pipelineId: string) => page.locator(`table.pipelines tr[data-pipeline="${pipelineId}"]`);
/** Room for the page's 1.5 s polling plus a request on a busy machine (the 2 s bound is measured on its own below). */
const soon = { timeout: 6_000 };
const text = async (selector: string) => (await page.locator(selector).allTextContents()).join(' ');

// Also NEEDS GET /api/overview (the list reads its `pipelines`): fails without the endpoint.
describe('the pipelines list', () => {
  it('shows both pipelines with their last run status, and a filter kept in the URL narrows it', async () => {
    await expect.poll(() => row(good).count(), soon).toBe(1);
    await expect.poll(() => row(good).locator('td.last-run').textContent(), soon).toContain('succeeded');
    await expect.poll(() => row(broken).locator('td.last-run').textContent(), soon).toContain('failed');
    expect(await row(good).textContent()).toContain('public.orders');
    await browser.screenshot(page, 'pipelines');

    await page.getByLabel('Search').fill('broken');
    await expect.poll(() => page.locator('table.pipelines tbody tr').count(), soon).toBe(1);
    expect(await row(broken).count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('q')).toBe('broken');
    // The URL alone restores the filtered list (a shared link).
    await page.goto(`${env.runtime.url}/api/ui/pipelines?status=succeeded`);
    await expect.poll(() => page.locator('table.pipelines tbody tr').count(), soon).toBe(1);
    expect(await row(good).count()).toBe(1);
    expect(await page.getByLabel('Last run').inputValue()).toBe('succeeded');
  });
});

describe('the pipeline page', () => {
  it('shows the run in the table and as a point in each chart, in light, dark and at phone width', async () => {
    await page.goto(`${env.runtime.url}/api/ui/pipelines/${good}`);
    const runRow = page.locator(`table.runs tr[data-run="${firstRuns[good]}"]`);
    await expect.poll(() => runRow.count(), soon).toBe(1);
    expect(await runRow.textContent()).toContain('succeeded');
    expect(await runRow.locator('td.num').nth(1).textContent()).toBe((500).toLocaleString('en-US'));
    expect(await page.locator('figure.run-chart').getAttribute('data-points')).toBe('1');
    expect(await page.locator('figure.run-chart canvas').count()).toBeGreaterThanOrEqual(3);
    // The point is drawn: the rows chart's canvas holds pixels of its series colour.
    await expect.poll(() => pixelsOf(page, 'rows', '--accent'), soon).toBeGreaterThan(10);
    // ...and the count is of that colour only: the rows chart draws nothing in the failure red.
    expect(await pixelsOf(page, 'rows', '--failed')).toBe(0);
    // Numbers right-aligned; times relative, the exact time in the title.
    expect(await runRow.locator('td.num').first().evaluate((cell) => getComputedStyle(cell).textAlign)).toBe('right');
    expect(await runRow.locator('time').first().getAttribute('title')).toMatch(/\d/);
    await browser.screenshot(page, 'pipeline');

    await page.emulateMedia({ colorScheme: 'dark' });
    // Redrawn in the dark scheme's own colours, read from the stylesheet.
    await expect.poll(() => pixelsOf(page, 'rows', '--accent'), soon).toBeGreaterThan(10);
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(21, 23, 27)');
    await browser.screenshot(page, 'pipeline-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => pixelsOf(page, 'rows', '--accent'), soon).toBeGreaterThan(10);
    // Nothing but the tables (which scroll in their own frame) is wider than the phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await browser.screenshot(page, 'pipeline-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('starts a run with Run now and links to it', async () => {
    await page.getByRole('button', { name: 'Run now' }).click();
    const link = page.locator('.notice.info a.id');
    await expect.poll(() => link.count(), soon).toBe(1);
    const runId = (await link.textContent())!;
    expect(runId).not.toBe(firstRuns[good]);
    // The run exists as the API knows it, not only as the page says.
    const listed = await env.api.get(`/api/pipelines/${good}/runs`);
    expect(listed.body!.runs.map((run: { runId: string }) => run.runId)).toEqual([runId, firstRuns[good]]);
    expect(await link.getAttribute('href')).toBe(`/api/ui/pipelines/${good}/runs/${runId}`);
    await env.api.waitForRun(`/api/pipelines/${good}/runs/${runId}`, 30_000);
    // The table follows by itself.
    await expect.poll(() => page.locator(`table.runs tr[data-run="${runId}"]`).textContent(), soon).toContain('succeeded');
    await expect.poll(() => page.locator('figure.run-chart').getAttribute('data-points'), soon).toBe('2');
  });

  it('pauses and resumes the schedule', async () => {
    await page.getByRole('button', { name: 'Pause schedule' }).click();
    await expect.poll(async () => (await env.api.get(`/api/pipelines/${good}`)).body!.schedulePaused, soon).toBe(true);
    await page.getByRole('button', { name: 'Resume schedule' }).click();
    await expect.poll(async () => (await env.api.get(`/api/pipelines/${good}`)).body!.schedulePaused, soon).toBe(false);
    await expect.poll(() => page.getByRole('button', { name: 'Pause schedule' }).count(), soon).toBe(1);
  });

  it('asks the source for the plan on demand and shows its columns as the API plans them', async () => {
    await page.getByRole('button', { name: 'Load the plan' }).click();
    await page.locator('.plan-columns').waitFor();
    const plan = (await env.api.get(`/api/pipelines/${good}/plan`)).body!;
    expect(await page.locator('.plan-columns tbody th').allTextContents()).toEqual(plan.columns.map((column: { name: string }) => column.name));
    expect(await page.locator('.plan-columns tbody td:first-of-type').allTextContents()).toEqual(plan.columns.map((column: { sourceType: string }) => column.sourceType));
  });
});

describe('the overview (against GET /api/overview)', () => {
  it('shows the failing pipeline as failing and needing attention, and reflects a change within 2 s', async () => {
    await page.goto(`${env.runtime.url}/api/ui/`);
    const attention = page.locator(`table.attention tr[data-pipeline="${broken}"]`);
    await expect.poll(() => attention.count(), soon).toBe(1);
    expect(await attention.locator('a.id').getAttribute('href')).toBe(`/api/ui/pipelines/${broken}/runs/${firstRuns[broken]}`);
    expect(await attention.textContent()).toMatch(/division by zero/i);
    expect(await page.locator(`table.freshness tr[data-pipeline="${broken}"]`).textContent()).toContain('failing');
    expect(await page.locator(`table.freshness tr[data-pipeline="${good}"]`).textContent()).toContain('on time');
    expect(await text('.status-bar .legend')).toMatch(/succeeded\s*2/);
    expect(await text('.status-bar .legend')).toMatch(/failed\s*1/);
    await browser.screenshot(page, 'overview');

    // A pause through the API shows on the open page within 2 s.
    const etag = (await env.api.get(`/api/pipelines/${good}`)).headers.get('etag')!;
    await pauseWithEtag(good, etag);
    const changedAt = Date.now();
    await expect.poll(() => page.locator(`table.freshness tr[data-pipeline="${good}"]`).textContent(), { timeout: 2_000, interval: 50 }).toContain('paused');
    console.log(`overview showed the pause ${Date.now() - changedAt} ms after it was made`);
  });
});

describe('deleting a pipeline', () => {
  it('asks for the id typed out, then deletes it', async () => {
    await page.goto(`${env.runtime.url}/api/ui/pipelines/${broken}`);
    const dialog = page.locator('dialog.confirm');
    // Closed, the dialog is nowhere on the page (a stylesheet's display rule once showed it inline, under the spec).
    await page.getByRole('button', { name: 'Delete…' }).waitFor();
    expect(await dialog.isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Delete…' }).click();
    await expect.poll(() => dialog.evaluate((element) => (element as HTMLDialogElement).open), soon).toBe(true);
    const confirm = dialog.getByRole('button', { name: 'Delete pipeline' });
    await dialog.getByLabel(/Type .* to confirm/).fill('views-broke');
    expect(await confirm.isDisabled()).toBe(true);
    expect((await env.api.get(`/api/pipelines/${broken}`)).status).toBe(200);
    await dialog.getByLabel(/Type .* to confirm/).fill(broken);
    await confirm.click();
    await expect.poll(() => page.url(), soon).toBe(`${env.runtime.url}/api/ui/pipelines?deleted=${broken}`);
    expect((await env.api.get(`/api/pipelines/${broken}`)).status).toBe(404);
    await expect.poll(() => row(broken).count(), soon).toBe(0);
    expect(browser.pageErrors).toEqual([]);
  });
});

/** POST .../schedule/pause with If-Match, as the API client of the test has no header-taking post. */
async function pauseWithEtag(pipelineId: string, etag: string) {
  const response = await fetch(`${env.runtime.url}/api/pipelines/${pipelineId}/schedule/pause`, { method: 'POST', headers: { 'content-type': 'application/json', 'if-match': etag } });
  expect(response.status).toBe(200);
}

/** Pixels of a chart's canvas in the colour a CSS variable names (within rounding): its points and line. */
function pixelsOf(target: Page, metric: string, variable: string): Promise<number> {
  return target.evaluate(([metricName, variableName]) => {
    const hex = getComputedStyle(document.documentElement).getPropertyValue(variableName!).trim();
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
    const canvas = document.querySelector<HTMLCanvasElement>(`.chart-canvas[data-metric="${metricName}"] canvas`);
    if (!canvas) return 0;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i]! - r) < 10 && Math.abs(data[i + 1]! - g) < 10 && Math.abs(data[i + 2]! - b) < 10 && data[i + 3]! > 200) count += 1;
    }
    return count;
  }, [metric, variable]);
}
