import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BlobServiceClient } from '@azure/storage-blob';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { waitFor } from '../support/waitFor.js';

/**
 * The run page in real Chromium against the local runtime and PostgreSQL: a slow chunked run
 * followed live (progress, finished bars and the event log grow while it runs), its success with
 * the manifest's files, the keyboard and table views of the timeline, a run cancelled from its
 * page, and a failed run whose error leads to its chunk and which is retried from the page.
 */
let env: TestEnvironment;
let browser: TestBrowser;
let page: Page;

const container = 'runview';

beforeAll(async () => {
  [env, browser] = await Promise.all([
    startTestEnvironment('runview', async (db) => {
      await db.query(`CREATE TABLE items (id int PRIMARY KEY, note text)`);
      await db.query(`INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 60) i`);
      // The query check refuses pg_sleep by name; a function of the database's own is allowed.
      // STABLE, so PostgreSQL may flatten the pipeline's query: the plan's min/max and count then
      // read the key alone and sleep not at all (VOLATILE, they sleep through every row first).
      await db.query(`CREATE FUNCTION slow_row(seconds float8) RETURNS boolean LANGUAGE sql STABLE AS 'SELECT pg_sleep(seconds) IS NULL'`);
      // One row no output type can hold (infinity), in the last of four chunks: that chunk fails, every time.
      await db.query(`CREATE TABLE broken (id int PRIMARY KEY, at timestamptz)`);
      await db.query(`INSERT INTO broken SELECT i, CASE WHEN i = 95 THEN 'infinity'::timestamptz ELSE timestamptz '2024-01-01' + i * interval '1 hour' END FROM generate_series(1, 100) i`);
      // Codes repeat from id 31 (10 duplicates), qty is 0 at every 7th id (4 more rows, id 35 being both).
      await db.query(`CREATE TABLE checked (id int PRIMARY KEY, code text, amount int, qty int)`);
      await db.query(`INSERT INTO checked SELECT i, 'C' || (i % 30), i * 10, i % 7 FROM generate_series(1, 40) i`);
      // A many-table pipeline's source: four small tables that copy, one that fails (infinity again).
      await db.query('CREATE SCHEMA shop');
      await db.query('CREATE TABLE shop.orders (id int PRIMARY KEY, amount numeric(12,2))');
      await db.query('INSERT INTO shop.orders SELECT i, i * 1.25 FROM generate_series(1, 900) i');
      await db.query('CREATE TABLE shop.customers (id int PRIMARY KEY, name text)');
      await db.query("INSERT INTO shop.customers SELECT i, 'c' || i FROM generate_series(1, 120) i");
      await db.query('CREATE TABLE shop.products (id int PRIMARY KEY, title text, price numeric(8,2))');
      await db.query("INSERT INTO shop.products SELECT i, 'p' || i, i FROM generate_series(1, 45) i");
      await db.query('CREATE TABLE shop.stores (id int PRIMARY KEY, city text)');
      await db.query("INSERT INTO shop.stores SELECT i, 'city ' || i FROM generate_series(1, 8) i");
      await db.query('CREATE TABLE shop.shipments (id int PRIMARY KEY, at timestamptz)');
      await db.query("INSERT INTO shop.shipments SELECT i, CASE WHEN i = 30 THEN 'infinity'::timestamptz ELSE timestamptz '2024-01-01' + i * interval '1 hour' END FROM generate_series(1, 60) i");
      await db.query('ANALYZE');
    }),
    launchBrowser(),
  ]);
  const source = { engine: 'postgres', connectionSetting: testSourceSetting };
  const output = { container };
  // Six chunks of ten rows at 0.15 s a row, two at a time: three waves of about 1.5 s.
  expect((await env.api.post('/api/pipelines', { id: 'slow', source, output, query: 'SELECT id, note, slow_row(0.15) AS slept FROM items', chunking: { column: 'id', chunks: 6, maxParallel: 2, strategy: 'equalWidth' } })).status).toBe(201);
  expect((await env.api.post('/api/pipelines', { id: 'checked', source, output, table: { name: 'checked' }, validation: { rules: { qty: { min: 1 } }, unique: [['code']] }, schemaContract: { removed: 'nullFill' } })).status).toBe(201);
  expect((await env.api.post('/api/pipelines', { id: 'broken', source, output, table: { name: 'broken' }, chunking: { column: 'id', chunks: 4, maxParallel: 2, strategy: 'equalWidth' }, retry: { maxAttempts: 1 } })).status).toBe(201);
  // Two tables at a time, so the tables' bars follow each other on the timeline.
  const shop = { id: 'shop', source, tables: ['shop.*'], chunking: { maxParallel: 2 }, output: { container, pathTemplate: '{pipeline}/{table}/run={runId}/part-{chunk}-{file}' }, retry: { maxAttempts: 1 } };
  expect((await env.api.post('/api/pipelines', shop)).status).toBe(201);
  // 'item 1' to 'item 9' pass, the 51 longer notes are quarantined.
  expect((await env.api.post('/api/pipelines', { id: 'quarantined', source, output, table: { name: 'items' }, validation: { rules: { note: { maxLength: 6 } } } })).status).toBe(201);
});

afterAll(async () => {
  await browser?.stop();
  await env?.stop();
});

/** Triggers a run, waiting out the previous run's lease (released just after its record ends); answers its id. */
async function trigger(pipelineId: string): Promise<string> {
  const triggered = await waitFor(() => env.api.post(`/api/pipelines/${pipelineId}/runs`), (response) => response.status !== 409, `the lease of ${pipelineId} to be free`, 10_000);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  return triggered.body!.runId as string;
}

const runPage = (pipelineId: string, runId: string) => `${env.runtime.url}/api/ui/pipelines/${pipelineId}/runs/${runId}`;
const status = () => page.textContent('#run-status');

type Sample = { progress: number; doneBars: number; runningBars: number; events: number };
const sample = (): Promise<Sample> =>
  page.evaluate(() => ({
    progress: (document.querySelector('#run-chunks-progress') as HTMLProgressElement | null)?.value ?? -1,
    doneBars: document.querySelectorAll('.gantt-lanes rect.bar-done').length,
    runningBars: document.querySelectorAll('.gantt-lanes rect.bar-running').length,
    events: document.querySelectorAll('#run-events li').length,
  }));

/** Chromium reports an event stream the server does not have (404, until the stream endpoint lands) on the console; the view then polls. */
const unexpectedErrors = () => browser.pageErrors.filter((error) => !/EventSource's response has a (status|MIME type)/.test(error));

describe('the run page', () => {
  it('follows a running run live: progress, finished bars and the log grow, then it succeeds with its files listed', async () => {
    const runId = await trigger('slow');
    page = await browser.open(runPage('slow', runId));
    await expect.poll(status, { timeout: 20_000 }).toBe('running');
    // Six ranges of the key and one for a NULL key (a query's column may be NULL).
    const planned = (await waitFor(() => env.api.get(`/api/pipelines/slow/runs/${runId}`), (response) => response.body!.progress.chunksPlanned > 0, 'the plan')).body!.progress.chunksPlanned;
    expect(planned).toBe(7);

    // Read the page again and again while the run goes: every value only grows, and some are in between.
    const samples: Sample[] = [];
    let screenshotTaken = false;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
      const now = await sample();
      samples.push(now);
      if (!screenshotTaken && now.doneBars >= 2 && now.doneBars < planned && now.runningBars > 0) {
        await browser.screenshot(page, 'run-gantt-running');
        screenshotTaken = true;
      }
      if ((await status()) === 'succeeded' && now.doneBars === planned && now.progress === planned) break;
      await page.waitForTimeout(100);
    }
    const last = samples.at(-1)!;
    expect(last).toMatchObject({ progress: planned, doneBars: planned, runningBars: 0 });
    for (const [earlier, later] of samples.slice(0, -1).map((value, i) => [value, samples[i + 1]!] as const)) {
      expect(later.progress).toBeGreaterThanOrEqual(earlier.progress);
      expect(later.doneBars).toBeGreaterThanOrEqual(earlier.doneBars);
    }
    // Without live updates the page would jump from nothing to everything (or never move).
    expect(samples.some((s) => s.progress > 0 && s.progress < planned), JSON.stringify(samples)).toBe(true);
    expect(samples.some((s) => s.doneBars > 0 && s.doneBars < planned)).toBe(true);
    expect(screenshotTaken).toBe(true);
    const eventCounts = [...new Set(samples.map((s) => s.events))];
    expect(eventCounts.length).toBeGreaterThanOrEqual(3);
    await expect.poll(() => page.locator('#run-events li[data-type="finished"]').count()).toBe(1);
    expect(await page.locator('#run-events li').count()).toBeGreaterThan(Math.max(...samples.slice(0, 5).map((s) => s.events)));

    // Done: every lane done, the rows counted, the manifest's files as they are in the container.
    const run = (await env.api.get(`/api/pipelines/slow/runs/${runId}`)).body!;
    expect(run.status).toBe('succeeded');
    expect(await page.locator('.gantt-lanes .lane[data-status="done"]').count()).toBe(planned);
    await expect.poll(() => page.textContent('#run-rows')).toBe('60');
    await page.waitForSelector('#run-files tbody tr');
    const listed = await page.$$eval('#run-files tbody tr', (rows) => rows.map((row) => row.querySelector('td code')!.textContent));
    const folder = run.manifestPath.slice(`${container}/`.length, -'/_manifest.json'.length);
    const blobs: string[] = [];
    for await (const blob of BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient(container).listBlobsFlat({ prefix: `${folder}/` })) blobs.push(blob.name);
    expect(listed.sort()).toEqual(blobs.filter((name) => !name.endsWith('/_manifest.json') && !name.endsWith('/_SUCCESS')).sort());
    // The NULL-key chunk read no rows and wrote no file.
    expect(listed).toHaveLength(6);
    await browser.screenshot(page, 'run-gantt');

    // The keyboard: one Tab stop for the lanes, arrows move, the lane's label says what it shows.
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-chunk'));
    await page.focus('.gantt-lanes .lane[tabindex="0"]');
    await expect.poll(focused).toBe('0');
    await page.keyboard.press('ArrowDown');
    await expect.poll(focused).toBe('1');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(/^Chunk 1, from \d+ to \d+ exclusive: done, 10 rows, .* 1 file, 1 attempt, took .*read .*upload/);
    await expect.poll(() => page.textContent('.chunk-detail h3')).toMatch(/^Chunk 1/);
    await page.keyboard.press('End');
    await expect.poll(focused).toBe(String(planned - 1));
    // The same as a table.
    await page.click('#run-chunks-as-table');
    expect(await page.locator('.chunk-table tbody tr').count()).toBe(planned);
    await page.click('#run-chunks-as-table');

    // At a phone's width in dark mode the page stays within the screen.
    const phone = await browser.open(runPage('slow', runId), { width: 390, height: 844, colorScheme: 'dark' });
    await phone.waitForSelector('.gantt-lanes .lane');
    await phone.waitForSelector('#run-events li[data-type="finished"]');
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await browser.screenshot(phone, 'run-phone-dark');
    await phone.close();
    expect(unexpectedErrors()).toEqual([]);
  });

  it('cancels a running run from its page, its log read from the event stream when the server has one', async () => {
    const runId = await trigger('slow');
    // The stream endpoint is another branch's (CONTRACTS.md); here the browser gets one in its
    // format, holding one event the server never wrote, which the log must then show.
    const streamed = { sequence: 1, at: new Date().toISOString(), type: 'drift', runAttempt: 0, column: 'note' };
    await page.route('**/events/stream', (route) => route.fulfill({ status: 200, contentType: 'text/event-stream', body: `retry: 500\nid: 1\nevent: runEvent\ndata: ${JSON.stringify(streamed)}\n\n` }));
    await page.goto(runPage('slow', runId));
    await expect.poll(status, { timeout: 20_000 }).toBe('running');
    await page.waitForSelector('#run-events li[data-type="drift"]');
    expect(await page.getAttribute('.event-log .feed', 'data-feed')).toBe('stream');
    await page.unroute('**/events/stream');
    expect(await page.locator('#run-retry').count()).toBe(0);
    await page.click('#run-cancel');
    await page.click('#run-cancel-confirm');
    await expect.poll(async () => (await env.api.get(`/api/pipelines/slow/runs/${runId}`)).body!.status).toBe('cancelled');
    await expect.poll(status).toBe('cancelled');
    // Cancelled: no cancel any more, a retry instead.
    await page.waitForSelector('#run-retry');
    expect(await page.locator('#run-cancel').count()).toBe(0);
  });

  it('shows where a run failed, leads to that chunk, and retries it from the page', async () => {
    const runId = await trigger('broken');
    const runUrl = `/api/pipelines/broken/runs/${runId}`;
    // The ending's cleanup must be over before a retry is taken (409 meanwhile).
    await waitFor(() => env.api.get(runUrl), (response) => response.body!.status === 'failed' && response.body!.cleanedAt !== undefined, 'the run to fail and be cleaned up', 20_000);
    await page.goto(runPage('broken', runId));
    await page.waitForSelector('#run-error');
    expect(await page.textContent('#run-error')).toMatch(/infinity/i);
    expect(await page.textContent('#run-error-chunk')).toBe('chunk 3');
    await page.click('#run-error-chunk');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-chunk'))).toBe('3');
    expect(await page.textContent('.chunk-detail h3')).toMatch(/^Chunk 3.*the run failed here/);
    // The ending set the chunk records back to planned; the lanes come from the run's events.
    await expect.poll(() => page.locator('.gantt-lanes rect.bar-failed').count()).toBe(1);
    expect(await page.getAttribute('.gantt-lanes .lane[data-chunk="3"]', 'data-status')).toBe('failed');
    await browser.screenshot(page, 'run-failed');

    const before = page.url();
    await page.click('#run-retry');
    // The same run's next attempt: the API says so, and the page stays on it.
    await expect.poll(async () => (await env.api.get(runUrl)).body!.attempt).toBe(1);
    expect((await env.api.get(runUrl)).body!.previousAttempts).toMatchObject([{ attempt: 0, status: 'failed', errorChunk: 3 }]);
    await expect.poll(() => page.textContent('#run-attempt')).toMatch(/^1 /);
    expect(page.url()).toBe(before);
    expect(unexpectedErrors()).toEqual([]);
  });

  it('draws thousands of chunks by drawing only the lanes in view, and reaches every one by keyboard', async () => {
    // A run of 3,000 chunks as the API would answer it, served to the page by the test.
    const runId = '20260101T000000Z-0000b1c2';
    const base = '/api/pipelines/big/runs/' + runId;
    const start = Date.parse('2026-01-01T00:00:00Z');
    const chunks = Array.from({ length: 3000 }, (_, index) => ({
      index, range: { kind: 'range', lower: String(index * 100), upper: String(index * 100 + 100), upperInclusive: index === 2999 }, status: 'done', rows: 100, bytes: 4_000, files: 1,
      attempts: [{ attempt: 1, startedAt: new Date(start + index * 50).toISOString(), endedAt: new Date(start + index * 50 + 400).toISOString() }],
      startedAt: new Date(start + index * 50).toISOString(), endedAt: new Date(start + index * 50 + 400).toISOString(),
      timings: { queueMs: index * 50, readMs: 300, encodeMs: 40, uploadMs: 50 },
    }));
    const run = {
      pipelineId: 'big', runId, status: 'succeeded', reason: 'manual', requestedAt: new Date(start).toISOString(), startedAt: new Date(start).toISOString(), endedAt: new Date(start + 150_500).toISOString(),
      rows: 300_000, bytes: 12_000_000, files: 3000, chunksPlanned: 3000, keyKind: 'integer', attempt: 0, url: base,
      progress: { chunksPlanned: 3000, chunksDone: 3000, rowsCopied: 300_000, bytesWritten: 12_000_000 },
      chunks: chunks.slice(0, 100), chunksUrl: `${base}/chunks`, eventsUrl: `${base}/events`,
    };
    const json = (body: unknown, status = 200) => ({ status, contentType: 'application/json', body: JSON.stringify(body) });
    const big = await browser.context.newPage();
    await big.route(`**${base}**`, (route) => {
      const url = new URL(route.request().url());
      if (url.pathname === base) return route.fulfill(json(run));
      if (url.pathname === `${base}/chunks`) {
        const after = url.searchParams.get('continuationToken');
        const from = after === null ? 0 : Number(after) + 1;
        const page = chunks.slice(from, from + Number(url.searchParams.get('limit')));
        return route.fulfill(json({ chunks: page, ...(from + page.length < chunks.length ? { continuationToken: String(from + page.length - 1) } : {}) }));
      }
      if (url.pathname === `${base}/events`) return route.fulfill(json({ events: [] }));
      return route.fulfill(json({ type: 'about:blank', title: 'Not found', status: 404 }, 404));
    });
    await big.goto(`${env.runtime.url}/api/ui/pipelines/big/runs/${runId}`);
    await big.waitForSelector('.gantt-lanes .lane[data-chunk="0"]');
    // Every lane past the first 100 arrived (the SVG is as tall as 3,000 lanes), but only those in view are drawn.
    await expect.poll(() => big.getAttribute('.gantt-lanes', 'height')).toBe(String(3000 * 24));
    const drawn = await big.locator('.gantt-lanes .lane').count();
    expect(drawn).toBeGreaterThan(10);
    expect(drawn).toBeLessThan(60);
    await big.focus('.gantt-lanes .lane[tabindex="0"]');
    await big.keyboard.press('End');
    await expect.poll(() => big.evaluate(() => document.activeElement?.getAttribute('data-chunk'))).toBe('2999');
    expect(await big.evaluate(() => document.activeElement?.getAttribute('aria-setsize'))).toBe('3000');
    expect(await big.textContent('.chunk-detail h3')).toMatch(/^Chunk 2999/);
    expect(await big.locator('.gantt-lanes .lane').count()).toBeLessThan(60);
    await big.close();
  });

  it('re-ingests a run\'s quarantined rows from its page, once', async () => {
    const runId = await trigger('quarantined');
    const ended = await env.api.waitForRun(`/api/pipelines/quarantined/runs/${runId}`);
    expect(ended).toMatchObject({ status: 'succeeded', rowsRejected: 51 });
    // Its own tab when it runs alone (-t): the others leave theirs open.
    if (page) await page.goto(runPage('quarantined', runId));
    else page = await browser.open(runPage('quarantined', runId));
    await page.waitForSelector('#run-reingest');
    expect(await page.textContent('#run-reingest')).toBe('Re-ingest 51 quarantined rows');
    await page.click('#run-reingest');
    // The new run's page: a re-ingest of this run, with no button of its own.
    await expect.poll(() => page.url(), { timeout: 10_000 }).not.toBe(runPage('quarantined', runId));
    const reingestId = decodeURIComponent(page.url().split('/').pop()!);
    expect(await env.api.waitForRun(`/api/pipelines/quarantined/runs/${reingestId}`)).toMatchObject({ status: 'succeeded', reason: 'reingest', reingestOf: runId, rowsRejected: 51 });
    // The page follows the run live; on a busy machine its last event can come seconds after the API's.
    await expect.poll(status, { timeout: 15_000 }).toBe('succeeded');
    expect(await page.locator('#run-reingest').count()).toBe(0);
    // Back on the source run: a second re-ingest is refused, naming the first.
    await page.goto(runPage('quarantined', runId));
    await page.click('#run-reingest');
    await expect.poll(() => page.textContent('.run-actions')).toContain(`already re-ingested by run ${reingestId}`);
  });

  it('shows rows rejected with their quarantine files, and the schema drift as a column diff', async () => {
    await trigger('checked');
    await waitFor(() => env.api.get('/api/pipelines/checked/runs?limit=1'), (response) => response.body!.runs[0]?.status === 'succeeded', 'the first run of checked', 20_000);
    await env.database.query('ALTER TABLE checked DROP COLUMN amount');
    await env.database.query('ALTER TABLE checked ADD COLUMN note text');
    await env.database.query('ALTER TABLE checked ALTER COLUMN qty TYPE bigint');
    const runId = await trigger('checked');
    const run = await env.api.waitForRun(`/api/pipelines/checked/runs/${runId}`);
    expect(run.status, run.error).toBe('succeeded');
    expect(run.rowsRejected).toBe(14);
    const files = (await env.api.get(`/api/pipelines/checked/runs/${runId}/files`)).body!;

    const view = await browser.open(runPage('checked', runId));
    await expect.poll(() => view.textContent('#run-rejected')).toBe('14');
    // The diff: one row per changed column, its change and what the contract did.
    await view.waitForSelector('#run-drift');
    const diff = await view.$$eval('#run-drift tbody tr', (rows) => rows.map((row) => [row.getAttribute('data-change'), row.getAttribute('data-column'), row.querySelector('.drift-outcome')!.textContent]));
    expect(diff).toEqual([['added', 'note', 'evolved'], ['removed', 'amount', 'null-filled'], ['retyped', 'qty', 'widened']]);
    expect(await view.textContent('#run-drift tr[data-column="qty"]')).toMatch(/integer \(int32, null\).*→ bigint \(int64, null\)/);
    expect(await view.textContent('#run-drift tr[data-column="amount"]')).toContain('all NULL');
    expect(await view.textContent('#run-drift .badge')).toBe('evolved');
    // The log says the changes in words, not as the event's JSON fields.
    expect(await view.textContent('#run-events li[data-type="drift"]')).toMatch(/Schema drift \(evolved\): added "note" text \(string, null\); removed "amount" integer \(int32, null\) \(null-filled\); retyped "qty"/);
    // The quarantine files as the run's files endpoint lists them, and a link to that list.
    await view.waitForSelector('#run-quarantine-files tbody tr');
    const listed = await view.$$eval('#run-quarantine-files tbody tr td code', (cells) => cells.map((cell) => cell.textContent));
    expect(listed).toEqual(files.quarantine.files.map((file: { path: string }) => file.path));
    expect(await view.getAttribute('#run-quarantine-json', 'href')).toBe(`/api/pipelines/checked/runs/${runId}/files`);
    expect(await view.textContent('#run-quarantine-rows')).toBe('14');
    // Why: 10 duplicates of code, 5 rows below qty's minimum (id 35 is both).
    const rules = await view.$$eval('#run-failed-rules tbody tr', (rows) => rows.map((row) => [row.getAttribute('data-rule'), row.querySelector('.num')!.textContent]));
    expect(rules).toEqual([['code.unique', '10'], ['qty.min', '5']]);
    await browser.screenshot(view, 'run-trust');

    // The pipeline's runs table has a Rejected column: 14 for this run, 0 for the first.
    await view.goto(`${env.runtime.url}/api/ui/pipelines/checked`);
    await view.waitForSelector(`tr[data-run="${runId}"]`);
    expect(await view.getAttribute(`tr[data-run="${runId}"] td[data-rejected]`, 'data-rejected')).toBe('14');
    expect(await view.textContent(`tr[data-run="${runId}"] td[data-rejected]`)).toBe('14');
    await view.close();
    expect(unexpectedErrors()).toEqual([]);
  });

  it('shows a many-table run\'s tables on a timeline and in a table, each linking to its own run\'s page', async () => {
    const runId = await trigger('shop');
    const run = await env.api.waitForRun(`/api/pipelines/shop/runs/${runId}`, 60_000);
    expect(run.status).toBe('failed');
    const view = await browser.open(runPage('shop', runId));
    await expect.poll(() => view.textContent('#run-status'), { timeout: 20_000 }).toBe('failed');
    // The tables are the source's (a fresh query of its catalog), in the run's order.
    const catalog = (await env.database.query<{ name: string }>("SELECT table_schema || '.' || table_name AS name FROM information_schema.tables WHERE table_schema = 'shop' ORDER BY 1")).map((row) => row.name);
    await view.waitForSelector('#run-tables-table tbody tr');
    const rows = await view.$$eval('#run-tables-table tbody tr', (trs) => trs.map((tr) => ({ table: tr.getAttribute('data-table'), status: tr.querySelector('.badge')!.textContent, rows: tr.querySelectorAll('td')[3]!.textContent, error: tr.querySelector('td.error-text')!.textContent })));
    expect(rows.map((row) => row.table)).toEqual(catalog);
    for (const row of rows) {
      if (row.table === 'shop.shipments') {
        expect(row.status).toBe('failed');
        expect(row.error).toMatch(/^chunk 0: .*infinity/);
        continue;
      }
      expect(row.status, row.table!).toBe('succeeded');
      // The rows shown are the source's count, read with a query of our own.
      const counted = await env.database.query<{ n: string }>(`SELECT count(*) AS n FROM ${row.table}`);
      expect(row.rows, row.table!).toBe(counted[0]!.n);
    }
    expect(await view.textContent('#run-tables-text')).toBe('5 of 5 done');
    expect(await view.$$eval('#run-tables-counts li', (items) => items.map((item) => item.textContent))).toEqual(['4 succeeded', '1 failed']);
    // One lane per table on the timeline, its bar coloured by its status.
    const lanes = await view.$$eval('#run-tables-timeline .tables-lane', (items) => items.map((item) => [item.getAttribute('data-table'), item.querySelector('.tables-bar')?.getAttribute('class')]));
    expect(lanes).toEqual(catalog.map((table) => [table, `tables-bar ${table === 'shop.shipments' ? 'bar-failed' : 'bar-done'}`]));
    // A many-table run has no chunks or files of its own: neither section is shown (its files endpoint answers 404).
    expect(await view.locator('#run-chunks-heading').count()).toBe(0);
    expect(await view.locator('#run-files-heading').count()).toBe(0);
    await view.waitForSelector('#run-events li[data-type="finished"]');
    expect(await view.textContent('#run-events li[data-type="prepared"]')).toContain('Listed 5 tables to copy');
    await browser.screenshot(view, 'run-tables');
    // At a phone's width in dark mode the tables stay within the screen (the table scrolls in its box).
    const phone = await browser.open(runPage('shop', runId), { width: 390, height: 844, colorScheme: 'dark' });
    await phone.waitForSelector('#run-tables-timeline .tables-bar');
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await browser.screenshot(phone, 'run-tables-phone-dark');
    await phone.close();

    // A table's link leads to its own run, under the table's `<pipeline>~<hash>` id, which renders as a run of its own.
    await view.click('#run-tables-table tr[data-table="shop.orders"] a');
    await view.waitForURL(/\/api\/ui\/pipelines\/shop~[0-9a-f]{12}\/runs\//);
    await expect.poll(() => view.textContent('#run-status'), { timeout: 10_000 }).toBe('succeeded');
    await expect.poll(() => view.textContent('#run-rows')).toBe('900');
    expect(await view.textContent('#run-table-note')).toContain(`table shop.orders of run ${runId}`);
    expect(await view.getAttribute('#run-part-of', 'href')).toBe(`/api/ui/pipelines/shop/runs/${runId}`);
    await view.waitForSelector('.gantt-lanes .lane');
    // Its files as the manifest lists them, and no cancel or retry of its own.
    await view.waitForSelector('#run-files tbody tr');
    expect(await view.locator('#run-retry').count()).toBe(0);
    // The same page opened at its URL (a reload, a shared link).
    const tableUrl = view.url();
    const direct = await browser.open(tableUrl);
    await expect.poll(() => direct.textContent('#run-rows'), { timeout: 10_000 }).toBe('900');
    await direct.close();
    // The failed table's page shows its error.
    await view.goBack();
    await view.click('#run-tables-table tr[data-table="shop.shipments"] a');
    await expect.poll(() => view.textContent('#run-status'), { timeout: 10_000 }).toBe('failed');
    expect(await view.textContent('#run-error')).toMatch(/infinity/);
    await view.close();
    expect(unexpectedErrors()).toEqual([]);
  });

  it('shows a many-table pipeline\'s patterns, its plan per table, and its spec in the form without breaking', async () => {
    const view = await browser.open(`${env.runtime.url}/api/ui/pipelines/shop`);
    await expect.poll(() => view.textContent('#pipeline-reads'), { timeout: 10_000 }).toBe('tables shop.*');
    await view.getByRole('button', { name: 'Load the plan' }).click();
    await view.waitForSelector('#plan-tables tbody tr');
    const plan = (await env.api.get('/api/pipelines/shop/plan')).body!;
    expect(await view.$$eval('#plan-tables tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-table')))).toEqual(plan.tables.map((table: { table: string }) => table.table));
    const columns = await env.database.query<{ n: string }>("SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = 'shop' AND table_name = 'products'");
    expect(await view.textContent('#plan-tables tr[data-table="shop.products"] td:nth-child(4)')).toBe(columns[0]!.n);
    // The form shows the patterns as they are (the JSON tab edits them), and no table fields.
    await view.goto(`${env.runtime.url}/api/ui/pipelines/shop/edit`);
    await view.waitForSelector('#f-read-tables pre');
    expect(JSON.parse((await view.textContent('#f-read-tables pre'))!)).toEqual({ tables: ['shop.*'] });
    expect(await view.locator('#f-table-name').count()).toBe(0);
    // Validate against source plans each table, and saving the spec unchanged keeps its patterns.
    await view.getByRole('button', { name: 'Validate against source' }).click();
    await view.waitForSelector('#plan-tables tbody tr');
    expect(await view.$$eval('#plan-tables tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-table')))).toEqual(plan.tables.map((table: { table: string }) => table.table));
    expect(await view.locator('.error-summary').count()).toBe(0);
    const before = (await env.api.get('/api/pipelines/shop')).body!;
    await view.locator('#f-description').fill('five shop tables');
    await view.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => view.url()).toBe(`${env.runtime.url}/api/ui/pipelines/shop`);
    const after = (await env.api.get('/api/pipelines/shop')).body!;
    expect(after.description).toBe('five shop tables');
    expect([after.tables, after.output, after.chunking]).toEqual([before.tables, before.output, before.chunking]);
    expect(after.table).toBeUndefined();
    await view.close();
    expect(unexpectedErrors()).toEqual([]);
  });
});
