import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { snapshotState } from '../support/stateSnapshot.js';
import { forgePrincipal, type ForgedPrincipal } from '../support/principal.js';
import { waitForRunQuiet } from '../support/runQuiet.js';

/**
 * Sign-in and roles through the real HTTP layer of the local runtime (PostgreSQL, Azurite), with
 * X-MS-CLIENT-PRINCIPAL forged as App Service Authentication would write it: the local runtime
 * holds a principal to its roles, so every check below is the one Azure makes behind Easy Auth.
 * A refused change is proven by reading everything back (every table, queue and blob, and the
 * source), not by the refusal alone.
 */
let env: TestEnvironment;

const teamA = '0a6f3c52-9d1e-4b7a-8c3d-2e5f6a7b8c9d';
const teamB = 'b1e2d3c4-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const ana: ForgedPrincipal = { name: 'ana@contoso.com', roles: ['Siphon.Operator'], groups: [teamA] };
const bob: ForgedPrincipal = { name: 'bob@contoso.com', roles: ['Siphon.Operator'], groups: [teamB] };
const rita: ForgedPrincipal = { name: 'rita@contoso.com', roles: ['Siphon.Reader'] };
const many: ForgedPrincipal = { name: 'max@contoso.com', roles: ['Siphon.Operator'], overage: true };

const source = { engine: 'postgres', connectionSetting: testSourceSetting };
const ordersSpec = { id: 'orders', source, table: { name: 'orders' }, output: { container: 'owned' }, incremental: { column: 'id' }, owners: [teamA] };

type Answer = { status: number; headers: Headers; body: Record<string, any> | undefined };

/** A request as `who` (no principal: the local developer), JSON as the dashboard sends it. */
async function call(who: ForgedPrincipal | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${env.runtime.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(who ? { 'x-ms-client-principal': forgePrincipal(who) } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

async function changesNothing(requests: () => Promise<void>): Promise<void> {
  const before = await snapshotState(env);
  await requests();
  expect(await snapshotState(env)).toEqual(before);
}

function expectRefused(answer: Answer, status: number, detail: RegExp): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body).toMatchObject({ status, title: expect.any(String), detail: expect.stringMatching(detail) });
}

let runUrl: string;

beforeAll(async () => {
  env = await startTestEnvironment('signin', async (db) => {
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, note text)`);
    await db.query(`INSERT INTO orders SELECT i, 'order ' || i FROM generate_series(1, 300) i`);
  });
  // Team A's pipeline, made by one of team A, with one finished run and so a watermark.
  const created = await call(ana, 'POST', '/api/pipelines', ordersSpec);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(created.body!.owners).toEqual([teamA]);
  const triggered = await call(ana, 'POST', '/api/pipelines/orders/runs');
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  runUrl = triggered.headers.get('location')!;
  expect((await env.api.waitForRun(runUrl)).status).toBe('succeeded');
  // The tests compare whole-state snapshots: the run's orchestration must have written its end too.
  await waitForRunQuiet(env, runUrl.split('/').at(-1)!);
});

afterAll(async () => {
  process.env.SIPHON_LOCAL_NO_SIGN_IN = 'true';
  await env?.stop();
});

describe('sign-in', () => {
  it('refuses a request without a principal with 401 where the app does not run locally; health stays open', async () => {
    process.env.SIPHON_LOCAL_NO_SIGN_IN = 'false';
    try {
      await changesNothing(async () => {
        expectRefused(await call(undefined, 'GET', '/api/pipelines'), 401, /^X-MS-CLIENT-PRINCIPAL: no signed-in principal/);
        expectRefused(await call(undefined, 'POST', '/api/pipelines/orders/runs'), 401, /^X-MS-CLIENT-PRINCIPAL/);
        expectRefused(await call(undefined, 'GET', '/api/me'), 401, /^X-MS-CLIENT-PRINCIPAL/);
        expect((await call(undefined, 'GET', '/api/health')).status).toBe(200);
        // A principal is still served: the setting only decides about requests without one.
        expect((await call(rita, 'GET', '/api/pipelines')).status).toBe(200);
      });
    } finally {
      process.env.SIPHON_LOCAL_NO_SIGN_IN = 'true';
    }
    // Locally, the developer without a principal may read again.
    expect((await call(undefined, 'GET', '/api/pipelines')).status).toBe(200);
  });

  it('refuses a malformed principal with 401, never a 500', async () => {
    const malformed = await call(undefined, 'GET', '/api/pipelines', undefined, { 'x-ms-client-principal': Buffer.from('{"claims":[', 'utf8').toString('base64') });
    expectRefused(malformed, 401, /^X-MS-CLIENT-PRINCIPAL: the signed-in principal header is malformed/);
  });

  it('GET /api/me says who the API takes the caller to be', async () => {
    expect((await call(undefined, 'GET', '/api/me')).body).toEqual({ name: 'local', roles: ['Siphon.Reader', 'Siphon.Operator'], groups: [], local: true });
    expect((await call(rita, 'GET', '/api/me')).body).toEqual({ name: 'rita@contoso.com', roles: ['Siphon.Reader'], groups: [], local: false });
    expect((await call(ana, 'GET', '/api/me')).body).toEqual({ name: 'ana@contoso.com', roles: ['Siphon.Reader', 'Siphon.Operator'], groups: [teamA], local: false });
  });
});

describe('roles', () => {
  it('lets a reader see every pipeline, owned or not, and its runs, and change nothing', async () => {
    const list = await call(rita, 'GET', '/api/pipelines');
    expect(list.status).toBe(200);
    expect(list.body!.pipelines.map((p: { id: string; owners?: string[] }) => [p.id, p.owners])).toEqual([['orders', [teamA]]]);
    expect((await call(rita, 'GET', runUrl)).body!.status).toBe('succeeded');
    expect((await call(rita, 'GET', '/api/pipelines/orders/watermark')).status).toBe(200);
    await changesNothing(async () => {
      expectRefused(await call(rita, 'POST', '/api/pipelines/orders/runs'), 403, /^roles: Siphon\.Operator is needed .*you hold Siphon\.Reader \(rita@contoso\.com\)/);
      expectRefused(await call(rita, 'POST', '/api/pipelines', { ...ordersSpec, id: 'mine', owners: undefined }), 403, /^roles: Siphon\.Operator/);
      expectRefused(await call(rita, 'POST', '/api/queries', { source, query: 'SELECT 1' }), 403, /^roles: Siphon\.Operator/);
    });
    // Read back: still the one run.
    expect((await call(rita, 'GET', '/api/pipelines/orders/runs')).body!.runs).toHaveLength(1);
  });
});

describe('pipeline owners', () => {
  it("keeps another team's operator off the pipeline: every change 403 naming it, and nothing changed", async () => {
    const before = await call(bob, 'GET', '/api/pipelines/orders');
    expect(before.status).toBe(200);
    const etag = before.headers.get('etag')!;
    const watermark = await call(bob, 'GET', '/api/pipelines/orders/watermark');
    const notTheirs = /^owners: bob@contoso\.com is in none of the groups that own pipeline orders/;
    await changesNothing(async () => {
      expectRefused(await call(bob, 'PUT', '/api/pipelines/orders', { ...ordersSpec, description: 'taken' }, { 'if-match': etag }), 403, notTheirs);
      // Taking it over by naming his own team is the same refusal: the stored owners decide first.
      expectRefused(await call(bob, 'PUT', '/api/pipelines/orders', { ...ordersSpec, owners: [teamB] }, { 'if-match': etag }), 403, notTheirs);
      expectRefused(await call(bob, 'POST', '/api/pipelines/orders/runs'), 403, notTheirs);
      expectRefused(await call(bob, 'POST', '/api/pipelines/orders/schedule/pause', undefined, { 'if-match': etag }), 403, notTheirs);
      expectRefused(await call(bob, 'DELETE', '/api/pipelines/orders', undefined, { 'if-match': etag }), 403, notTheirs);
      expectRefused(await call(bob, 'PUT', '/api/pipelines/orders/watermark', { value: '1' }, { 'if-match': watermark.headers.get('etag')! }), 403, notTheirs);
      // Cancel and retry are refused for ownership before their own 409s (the run has succeeded).
      expectRefused(await call(bob, 'POST', `${runUrl}/cancel`), 403, notTheirs);
      expectRefused(await call(bob, 'POST', `${runUrl}/retry`), 403, notTheirs);
      // An operator whose token lists no groups (overage) is refused with the reason, not guessed.
      expectRefused(await call(many, 'POST', '/api/pipelines/orders/runs'), 403, /^owners: your token lists no groups because you are in more than Entra ID puts in a token \(group overage\)/);
    });
    // Read back through the API too: the same version, one run, the same watermark.
    const after = await call(rita, 'GET', '/api/pipelines/orders');
    expect(after.headers.get('etag')).toBe(etag);
    expect(after.body!.description).toBeUndefined();
    expect((await call(rita, 'GET', '/api/pipelines/orders/runs')).body!.runs).toHaveLength(1);
    expect((await call(rita, 'GET', '/api/pipelines/orders/watermark')).body).toEqual(watermark.body);
  });

  it('refuses creating a pipeline for a team you are not in, and handing yours to one', async () => {
    await changesNothing(async () => {
      const created = await call(bob, 'POST', '/api/pipelines', { ...ordersSpec, id: 'gift', owners: [teamA] });
      expectRefused(created, 403, /^owners: bob@contoso\.com is in none of 0a6f3c52-9d1e-4b7a-8c3d-2e5f6a7b8c9d; list at least one group you are in/);
      expect(created.body!.errors).toEqual([{ path: 'owners', message: 'must include a group you are in' }]);
      const etag = (await call(ana, 'GET', '/api/pipelines/orders')).headers.get('etag')!;
      expectRefused(await call(ana, 'PUT', '/api/pipelines/orders', { ...ordersSpec, owners: [teamB] }, { 'if-match': etag }), 403, /^owners: ana@contoso\.com is in none of b1e2d3c4/);
      expectRefused(await call(many, 'POST', '/api/pipelines', { ...ordersSpec, id: 'crowd' }), 403, /group overage/);
    });
    expect((await call(rita, 'GET', '/api/pipelines/gift')).status).toBe(404);
  });

  it('lets the owning team work: pause, share with another team, then both may act', async () => {
    const read = await call(ana, 'GET', '/api/pipelines/orders');
    const paused = await call(ana, 'POST', '/api/pipelines/orders/schedule/pause', undefined, { 'if-match': read.headers.get('etag')! });
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    expect(paused.body!.schedulePaused).toBe(true);
    // Uppercase ids in the spec match the lowercase ids of the token's groups claim.
    const shared = await call(ana, 'PUT', '/api/pipelines/orders', { ...ordersSpec, owners: [teamA, teamB.toUpperCase()] }, { 'if-match': paused.headers.get('etag')! });
    expect(shared.status, JSON.stringify(shared.body)).toBe(200);
    const triggered = await call(bob, 'POST', '/api/pipelines/orders/runs');
    expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
    expect((await env.api.waitForRun(triggered.headers.get('location')!)).status).toBe('succeeded');
    expect((await call(rita, 'GET', '/api/pipelines/orders/runs')).body!.runs).toHaveLength(2);
  });

  it('refuses owners that are not group ids, or listed twice, naming the field', async () => {
    const invalid = await call(ana, 'POST', '/api/pipelines', { ...ordersSpec, id: 'bad', owners: ['data-team', teamA, teamA.toUpperCase()] });
    expect(invalid.status).toBe(400);
    expect(invalid.body!.errors).toEqual([
      { path: 'owners.0', message: 'an Entra ID group object id (a GUID)' },
      { path: 'owners.2', message: `${teamA.toUpperCase()} is listed twice` },
    ]);
    const none = await call(ana, 'POST', '/api/pipelines', { ...ordersSpec, id: 'bad', owners: [] });
    expect(none.body!.errors).toEqual([{ path: 'owners', message: expect.stringMatching(/>=1 items/) }]);
    expect((await call(rita, 'GET', '/api/pipelines/bad')).status).toBe(404);
  });

  it('lets the local developer without a principal do everything, owners or not', async () => {
    const read = await call(undefined, 'GET', '/api/pipelines/orders');
    const updated = await call(undefined, 'PUT', '/api/pipelines/orders', { ...ordersSpec, description: 'local edit' }, { 'if-match': read.headers.get('etag')! });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect((await call(rita, 'GET', '/api/pipelines/orders')).body!.description).toBe('local edit');
  });
});
