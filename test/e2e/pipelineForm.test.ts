import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { launchBrowser, screenshotFolder, type TestBrowser } from '../support/browser.js';
import { defaultPathTemplate } from '../../src/spec/pipelineSpec.js';

/**
 * The cockpit's forms in real Chromium against the local runtime and a PostgreSQL table: a
 * pipeline created through the form (refused first by the bundled schema, then by the API, each
 * at its field), edited (and refused with 412 when changed meanwhile), checked against its
 * source; a query job submitted, watched, paged through and, when slow, cancelled. Every outcome
 * is read back through the API or the database, not from the page alone.
 */
let env: TestEnvironment;
let browser: TestBrowser;
let page: Page;
/** The file's own host.json (removed at the end): the job queue polled at least every second, not every two, so a query starts sooner. */
let hostFolder: string | undefined;
const cspViolations: string[] = [];

const rowCount = 130;

beforeAll(async () => {
  const host = JSON.parse(readFileSync(join(process.cwd(), 'host.json'), 'utf8'));
  host.extensions.queues = { ...host.extensions.queues, maxPollingInterval: '00:00:01' };
  hostFolder = mkdtempSync(join(tmpdir(), 'siphon-host-'));
  const hostJsonPath = join(hostFolder, 'host.json');
  writeFileSync(hostJsonPath, JSON.stringify(host));
  [env, browser] = await Promise.all([
    startTestEnvironment('uiform', async (db) => {
      await db.query(`CREATE TABLE orders (id int PRIMARY KEY, region text NOT NULL, note text, amount numeric(10,2))`);
      // Notes a CSV page must carry intact: commas, quotes, line breaks, text beyond the BMP, the empty string and NULL.
      await db.query(`
        INSERT INTO orders
        SELECT i, (ARRAY['eu','us','apac'])[1 + i % 3],
               CASE WHEN i % 10 = 0 THEN NULL WHEN i % 10 = 1 THEN '' WHEN i % 10 = 2 THEN 'a, "quoted" note' WHEN i % 10 = 3 THEN E'two\\nlines' WHEN i % 10 = 4 THEN 'emoji 🦆' ELSE 'order ' || i END,
               round((i * 1.37)::numeric, 2)
        FROM generate_series(1, ${rowCount}) i`);
      // The query check refuses pg_sleep by name; a function of the database's own is the DBA's business.
      await db.query(`CREATE FUNCTION slow_row(seconds float8) RETURNS boolean LANGUAGE sql AS 'SELECT pg_sleep(seconds) IS NULL'`);
    }, { hostJsonPath }),
    launchBrowser(),
  ]);
  // The CSP's refusals (an eval zod would try without jitless, an inline style) are events, not page errors: collected here.
  await browser.context.exposeFunction('reportCspViolation', (text: string) => cspViolations.push(text));
  await browser.context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => (window as unknown as { reportCspViolation: (text: string) => void }).reportCspViolation(`${event.violatedDirective} ${event.blockedURI}`));
  });
  page = await browser.open(`${env.runtime.url}/api/ui/pipelines/new`);
});

afterAll(async () => {
  await browser?.stop();
  await env?.stop();
  if (hostFolder) rmSync(hostFolder, { recursive: true, force: true });
});

const control = (path: string) => page.locator(`#f-${path.replace(/\./g, '-')}`);
const errorAt = (path: string) => page.locator(`#f-${path.replace(/\./g, '-')}-error`);
const focused = () => page.evaluate(() => document.activeElement?.id ?? '');
const storedFields = ['generation', 'schedulePaused', 'createdAt', 'updatedAt', 'etag'];
const specOf = (body: Record<string, unknown>) => Object.fromEntries(Object.entries(body).filter(([key]) => !storedFields.includes(key)));
const pipelineIds = async () => ((await env.api.get('/api/pipelines')).body!.pipelines as Array<{ id: string }>).map((pipeline) => pipeline.id);

/** What the form below enters, with the defaults the API fills in for what it leaves out. */
const entered = {
  id: 'orders-lake',
  description: 'Orders to the lake',
  source: { engine: 'postgres', connectionSetting: testSourceSetting },
  table: { schema: 'public', name: 'orders' },
  columns: ['id', 'region', 'note', 'amount'],
  chunking: { column: 'id', chunks: 4, maxParallel: 4, strategy: 'statistics' },
  output: { container: 'orders-lake', format: 'csv', compression: 'gzip', maxRowsPerFile: 10_000, rowGroupRows: 10_000, pathTemplate: defaultPathTemplate, readers: ['spark', 'synapse', 'fabric', 'duckdb'], partitionBy: ['region'] },
  schedule: { cron: '0 3 * * *', timeZone: 'Europe/Berlin' },
  retry: { maxAttempts: 2, firstDelaySeconds: 5, backoffCoefficient: 2, maxDelaySeconds: 300 },
  timeoutMinutes: 30,
};

describe('the pipeline form', () => {
  it('refuses at the field what the bundled schema refuses, sending nothing', async () => {
    await control('id').fill('orders-lake');
    await control('description').fill('Orders to the lake');
    // Well-formed, so only the API can tell it is not a source setting (that is the next test).
    await control('source.connectionSetting').fill('ORDERS_DB');
    await control('table.schema').fill('public');
    await control('table.name').fill('orders');
    await control('columns').fill('id\nregion\nnote\namount');
    await page.locator('#t-chunking').check();
    await control('chunking.column').fill('id');
    await control('chunking.chunks').fill('4');
    await control('output.container').fill('Orders_Lake');
    await control('output.format').selectOption('csv');
    await control('output.compression').selectOption('gzip');
    await control('output.maxRowsPerFile').fill('10000');
    await control('output.partitionBy').fill('region');
    await page.locator('#t-schedule').check();
    await control('schedule.cron').fill('every night');
    await control('schedule.timeZone').fill('Europe/Berlin');
    await control('retry.maxAttempts').fill('2');
    await control('timeoutMinutes').fill('30');
    await page.getByRole('button', { name: 'Create pipeline' }).click();

    await expect.poll(() => errorAt('output.container').textContent()).toContain('a blob container name');
    expect(await errorAt('schedule.cron').textContent()).toContain('not a cron expression');
    expect(await control('output.container').getAttribute('aria-invalid')).toBe('true');
    // GOV.UK: the focus is on the first invalid field, and the summary links to every one, in page order.
    await expect.poll(focused).toBe('f-output-container');
    const links = page.locator('.error-summary a');
    expect(await links.allTextContents()).toEqual([expect.stringMatching(/^Container: /), expect.stringMatching(/^Cron: not a cron expression/)]);
    await links.nth(1).click();
    await expect.poll(focused).toBe('f-schedule-cron');
    await browser.screenshot(page, 'pipeline-form-field-error');
    expect(await pipelineIds()).toEqual([]);
  });

  it('shows each engine its own fields and reads a table or a query, at a phone width in dark mode', async () => {
    const phone = await browser.open(`${env.runtime.url}/api/ui/pipelines/new`, { width: 390, height: 844, colorScheme: 'dark' });
    const at = (path: string) => phone.locator(`#f-${path.replace(/\./g, '-')}`);
    expect(await at('source.packetSize').count()).toBe(0);
    await at('source.engine').selectOption('sqlserver');
    await at('source.packetSize').fill('4096');
    await at('source.trustServerCertificate').check();
    // PostgreSQL's source has no packet size: the fields go, and so do their values from the spec.
    await at('source.engine').selectOption('postgres');
    expect(await at('source.packetSize').count()).toBe(0);
    await phone.getByRole('tab', { name: 'JSON' }).click();
    expect(JSON.parse(await phone.locator('#f-json').inputValue()).source).toEqual({ engine: 'postgres' });
    await phone.getByRole('tab', { name: 'Form' }).click();
    await at('source.engine').selectOption('sqlserver');
    expect(await at('source.packetSize').inputValue()).toBe('4096');
    expect(await at('source.trustServerCertificate').isChecked()).toBe(true);

    await phone.getByLabel('a query of my own').check();
    expect(await at('table.name').count()).toBe(0);
    await at('query').fill('SELECT 1');
    await phone.getByLabel('a table', { exact: true }).check();
    expect(await at('query').count()).toBe(0);

    await phone.getByRole('button', { name: 'Create pipeline' }).click();
    await phone.locator('.error-summary').waitFor();
    // Nothing wider than the screen: the two columns of fields fold into one.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await phone.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(21, 23, 27)');
    await browser.screenshot(phone, 'pipeline-form-phone-dark');
    await phone.close();
  });

  it('shows at its field what only the API refuses, and stores nothing', async () => {
    await control('output.container').fill('orders-lake');
    await control('schedule.cron').fill('0 3 * * *');
    // The fixed fields' messages go with the edit.
    expect(await errorAt('output.container').count()).toBe(0);
    await page.getByRole('button', { name: 'Create pipeline' }).click();

    await expect.poll(() => errorAt('source.connectionSetting').textContent()).toContain('SIPHON_SOURCE_');
    await expect.poll(focused).toBe('f-source-connectionSetting');
    expect(await page.locator('.error-summary h2').textContent()).toBe('The API refused the pipeline');
    expect(await pipelineIds()).toEqual([]);
  });

  it('creates the pipeline with exactly the values entered', async () => {
    await control('source.connectionSetting').fill(testSourceSetting);
    await page.getByRole('button', { name: 'Create pipeline' }).click();
    await expect.poll(() => page.url()).toBe(`${env.runtime.url}/api/ui/pipelines/orders-lake`);
    const stored = await env.api.get('/api/pipelines/orders-lake');
    expect(stored.status).toBe(200);
    expect(specOf(stored.body!)).toEqual(entered);
  });

  it('edits it through the form and the JSON tab, kept in step', async () => {
    await page.goto(`${env.runtime.url}/api/ui/pipelines/orders-lake/edit`);
    await expect.poll(() => control('id').inputValue()).toBe('orders-lake');
    expect(await control('output.partitionBy').inputValue()).toBe('region');
    await control('description').fill('Orders, edited');
    await page.getByRole('tab', { name: 'JSON' }).click();
    const json = page.locator('#f-json');
    const shown = JSON.parse(await json.inputValue()) as Record<string, unknown>;
    expect(shown.description).toBe('Orders, edited');
    await json.fill(JSON.stringify({ ...shown, timeoutMinutes: 31 }, null, 2));
    await page.getByRole('tab', { name: 'Form' }).click();
    expect(await control('timeoutMinutes').inputValue()).toBe('31');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.url()).toBe(`${env.runtime.url}/api/ui/pipelines/orders-lake`);
    expect(specOf((await env.api.get('/api/pipelines/orders-lake')).body!)).toEqual({ ...entered, description: 'Orders, edited', timeoutMinutes: 31 });
  });

  it('answers a change made meanwhile with 412 and offers their version', async () => {
    await page.goto(`${env.runtime.url}/api/ui/pipelines/orders-lake/edit`);
    await expect.poll(() => control('timeoutMinutes').inputValue()).toBe('31');
    const current = await env.api.get('/api/pipelines/orders-lake');
    const theirs = await env.api.put('/api/pipelines/orders-lake', { ...specOf(current.body!), timeoutMinutes: 45 }, { 'if-match': current.headers.get('etag')! });
    expect(theirs.status).toBe(200);

    await control('retry.maxAttempts').fill('3');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Someone else changed this pipeline since you opened it.').waitFor();
    const stored = specOf((await env.api.get('/api/pipelines/orders-lake')).body!);
    expect(stored).toMatchObject({ timeoutMinutes: 45, retry: { maxAttempts: 2 } });
    await page.getByRole('button', { name: 'Load their version' }).click();
    await expect.poll(() => control('timeoutMinutes').inputValue()).toBe('45');
    expect(await control('retry.maxAttempts').inputValue()).toBe('2');
  });

  it('validates against the source: refusals at their fields, then the plan', async () => {
    await control('table.name').fill('no_such_table');
    await page.getByRole('button', { name: 'Validate against source' }).click();
    await expect.poll(() => errorAt('table.name').textContent()).toContain('no_such_table');
    await expect.poll(focused).toBe('f-table-name');

    await control('table.name').fill('orders');
    await page.getByRole('button', { name: 'Validate against source' }).click();
    await page.locator('.plan-columns').waitFor();
    const plan = (await env.api.get('/api/pipelines/orders-lake/plan')).body!;
    const databaseColumns = await env.database.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position`);
    expect(await page.locator('.plan-columns tbody th').allTextContents()).toEqual(databaseColumns.map((column) => column.column_name));
    expect(await page.locator('.plan-columns tbody td:first-of-type').allTextContents()).toEqual(plan.columns.map((column: { sourceType: string }) => column.sourceType));
    // The chunk plan as the API plans it: 4 ranges over id, the last one closed at the top.
    const ranges = await page.locator('.plan-chunks tbody tr td:nth-child(2)').allTextContents();
    expect(ranges).toHaveLength(4);
    expect(ranges).toEqual(plan.chunks.ranges.map((range: { lowerText: string; upperText: string; upperInclusive: boolean }) => `${range.lowerText} ≤ key ${range.upperInclusive ? '≤' : '<'} ${range.upperText}`));
    expect(ranges.at(-1)).toMatch(new RegExp(`≤ ${rowCount}$`));
    expect(await page.locator('.error-summary').count()).toBe(0);
    await page.locator('.plan').screenshot({ path: join(screenshotFolder, 'pipeline-plan.png') });
  });
});

describe('query jobs', () => {
  let firstQuery = '';

  it('submits a query, watches it finish and pages through its rows as the database has them', async () => {
    await page.goto(`${env.runtime.url}/api/ui/queries`);
    await control('source.connectionSetting').fill(testSourceSetting);
    // Refused in the browser by the API's own schema, then by the API's query check: each at its field.
    await control('query').fill('SELECT pg_sleep(1)');
    await control('timeoutSeconds').fill('1');
    await page.getByRole('button', { name: 'Run query' }).click();
    await expect.poll(() => errorAt('timeoutSeconds').textContent()).toMatch(/>=\s*3/);
    await control('timeoutSeconds').fill('');
    await page.getByRole('button', { name: 'Run query' }).click();
    await expect.poll(() => errorAt('query').textContent()).toContain('pg_sleep');
    await expect.poll(focused).toBe('f-query');
    expect(page.url()).toBe(`${env.runtime.url}/api/ui/queries`);

    await control('query').fill('SELECT id, region, note, amount FROM orders ORDER BY id');
    await page.getByRole('button', { name: 'Run query' }).click();
    await expect.poll(() => page.url()).toMatch(/\/api\/ui\/queries\/q-[0-9a-f]{20}$/);
    firstQuery = page.url().split('/').at(-1)!;
    await expect.poll(() => page.locator('.query-status').textContent(), { timeout: 30_000 }).toBe('succeeded');
    await page.locator('.result-table tbody tr').first().waitFor();

    const expected = (await env.database.query<{ id: string; region: string; note: string | null; amount: string }>(`SELECT id::text, region, note, amount::text FROM orders ORDER BY orders.id`)).map((row) => [row.id, row.region, row.note, row.amount]);
    expect(await page.locator('.result-table thead th').allTextContents()).toEqual(['#', 'id', 'region', 'note', 'amount']);
    expect(await tableRows()).toEqual(expected.slice(0, 100));
    expect(await page.locator('.page-position').textContent()).toContain(`of ${rowCount}`);
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => page.locator('.result-table tbody tr').count()).toBe(rowCount - 100);
    await browser.screenshot(page, 'query-results');
    expect(await tableRows()).toEqual(expected.slice(100));
    expect((await env.api.get(`/api/queries/${firstQuery}`)).body).toMatchObject({ status: 'succeeded', rows: rowCount });
  });

  it('cancels a slow query after asking, and lists this browser\'s queries newest first', async () => {
    await page.goto(`${env.runtime.url}/api/ui/queries`);
    // The last source is offered again.
    expect(await control('source.connectionSetting').inputValue()).toBe(testSourceSetting);
    await control('query').fill('SELECT id, slow_row(30) AS slept FROM orders WHERE id = 1');
    await page.getByRole('button', { name: 'Run query' }).click();
    await expect.poll(() => page.url()).toMatch(/\/api\/ui\/queries\/q-[0-9a-f]{20}$/);
    const slowQuery = page.url().split('/').at(-1)!;
    await expect.poll(() => page.locator('.query-status').textContent(), { timeout: 15_000 }).toBe('running');
    await page.getByRole('button', { name: 'Cancel query' }).click();
    await page.getByRole('button', { name: 'Yes, cancel it' }).click();
    await expect.poll(() => page.locator('.query-status').textContent()).toBe('cancelled');
    expect((await env.api.get(`/api/queries/${slowQuery}`)).body!.status).toBe('cancelled');

    await page.goto(`${env.runtime.url}/api/ui/queries`);
    await expect.poll(() => page.locator('.recent-queries tbody tr a').allTextContents()).toEqual([slowQuery, firstQuery]);
    await expect.poll(() => page.locator('.recent-queries tbody .badge').allTextContents()).toEqual(['cancelled', 'succeeded']);
    expect(browser.pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});

/** The result table's cells, NULL as null. */
function tableRows(): Promise<Array<Array<string | null>>> {
  return page.locator('.result-table tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => (cell.hasAttribute('data-null') ? null : cell.textContent))));
}
