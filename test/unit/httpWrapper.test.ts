import { afterEach, describe, expect, it, vi } from 'vitest';
import functions from '@azure/functions';
import { functionRegistry, type HttpFunction } from '../../src/registry.js';
import { resetServices } from '../../src/services.js';
import { forgePrincipal } from '../support/principal.js';

const httpFunction = (name: string) => functionRegistry.find((fn): fn is HttpFunction => fn.kind === 'http' && fn.name === name)!;
const context = () => new functions.InvocationContext({ functionName: 'test', invocationId: 'inv-1', logHandler: () => undefined });

describe('the registry http wrapper', () => {
  // Settings through vi.stubEnv, undone after each test: unit files share a worker thread.
  const setEnv = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
  };
  afterEach(() => {
    vi.unstubAllEnvs();
    resetServices();
  });

  it('turns an unexpected error into a 500 that names the invocation and nothing internal', async () => {
    // Settings that cannot work: the handler throws, with the setting's value in the message.
    setEnv({ SIPHON_LOCAL_NO_SIGN_IN: 'true', AzureWebJobsStorage: undefined, AzureWebJobsStorage__accountName: undefined, SIPHON_JOB_QUEUE: 'Bad_Queue;AccountKey=s3cret' });
    resetServices();
    const answer = await httpFunction('listPipelines').handler(new functions.HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/pipelines' }), context());
    expect(answer.status).toBe(500);
    expect(JSON.stringify(answer.jsonBody)).toBe('{"type":"about:blank","title":"Internal error","status":500,"detail":"the function log has the details under invocation inv-1"}');
  });

  it('screens every function: a change without application/json never reaches its handler', async () => {
    setEnv({ SIPHON_LOCAL_NO_SIGN_IN: 'true' });
    for (const fn of functionRegistry.filter((f): f is HttpFunction => f.kind === 'http')) {
      for (const method of fn.methods.filter((m) => m !== 'GET')) {
        const answer = await fn.handler(new functions.HttpRequest({ method, url: 'http://127.0.0.1/api/x', headers: { 'content-type': 'text/plain' }, body: { string: '{}' } }), context());
        expect(answer.status, `${method} ${fn.route}`).toBe(415);
      }
    }
  });

  describe('sign-in and roles, checked before any handler or storage', () => {
    const httpFunctions = functionRegistry.filter((f): f is HttpFunction => f.kind === 'http');
    const call = (fn: HttpFunction, method: string, headers: Record<string, string> = {}) =>
      fn.handler(new functions.HttpRequest({ method, url: 'http://127.0.0.1/api/x', headers: { 'content-type': 'application/json', ...headers }, body: method === 'GET' ? undefined : { string: '{}' } }), context());
    // No storage at all: a check that let a request through would reach getServices and answer 500.
    const withoutStorage = (local?: 'true' | 'false') => {
      setEnv({ AzureWebJobsStorage: undefined, AzureWebJobsStorage__accountName: undefined, SIPHON_LOCAL_NO_SIGN_IN: local });
      resetServices();
    };

    it('leaves only health and the dashboard files open; every GET of data needs a reader, every change and every query an operator', () => {
      expect(httpFunctions.filter((fn) => fn.access === 'public').map((fn) => fn.name)).toEqual(['health', 'dashboard']);
      for (const fn of httpFunctions.filter((f) => f.access !== 'public')) {
        const changes = fn.methods.some((m) => m !== 'GET');
        const expected = changes || fn.route.startsWith('queries') ? 'operator' : 'reader';
        expect(fn.access, `${fn.name} ${fn.route}`).toBe(expected);
      }
    });

    it('answers 401 to a request without a principal unless the app runs locally', async () => {
      for (const setting of [undefined, 'false'] as const) {
        withoutStorage(setting);
        for (const fn of httpFunctions.filter((f) => f.access !== 'public')) {
          const answer = await call(fn, fn.methods[0]!);
          expect(answer.status, `${fn.name} with SIPHON_LOCAL_NO_SIGN_IN=${setting}`).toBe(401);
          expect(answer.headers).toMatchObject({ 'www-authenticate': 'Bearer' });
          expect(JSON.stringify(answer.jsonBody)).toContain('X-MS-CLIENT-PRINCIPAL: no signed-in principal');
        }
      }
    });

    it('answers 401 naming the header to a malformed principal, never a 500', async () => {
      withoutStorage('true');
      const listPipelines = httpFunctions.find((fn) => fn.name === 'listPipelines')!;
      const malformed = [
        '',
        'not base64!',
        Buffer.from('{"auth_typ":"aad"', 'utf8').toString('base64'),
        Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: 'everything' }), 'utf8').toString('base64'),
        Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: [{ typ: 'roles', val: 7 }] }), 'utf8').toString('base64'),
        Buffer.from([0xff, 0xfe, 0x7b]).toString('base64'),
        'QQ'.repeat(60_000),
      ];
      for (const header of malformed) {
        const answer = await call(listPipelines, 'GET', { 'x-ms-client-principal': header });
        expect(answer.status, header.slice(0, 40)).toBe(401);
        expect((answer.jsonBody as { detail: string }).detail).toMatch(/^X-MS-CLIENT-PRINCIPAL: the signed-in principal header is malformed/);
      }
    });

    it('answers 403 naming the role when the principal lacks it, locally too; an operator passes a reader check', async () => {
      withoutStorage('true');
      const reader = { 'x-ms-client-principal': forgePrincipal({ name: 'rita@contoso.com', roles: ['Siphon.Reader'] }) };
      const nobody = { 'x-ms-client-principal': forgePrincipal({ name: 'nora@contoso.com', roles: ['Some.Other.Role'] }) };
      const operator = { 'x-ms-client-principal': forgePrincipal({ name: 'otto@contoso.com', roles: ['Siphon.Operator'] }) };
      for (const fn of httpFunctions.filter((f) => f.access === 'operator')) {
        const answer = await call(fn, fn.methods[0]!, reader);
        expect(answer.status, fn.name).toBe(403);
        expect(answer.jsonBody).toMatchObject({ title: 'The Siphon.Operator role is needed', detail: expect.stringMatching(/^roles: Siphon\.Operator is needed .*; you hold Siphon\.Reader \(rita@contoso\.com\)/) });
      }
      const me = httpFunctions.find((fn) => fn.name === 'me')!;
      expect((await call(me, 'GET', nobody)).jsonBody).toMatchObject({ status: 403, title: 'The Siphon.Reader role is needed', detail: expect.stringContaining('you hold no Siphon role (nora@contoso.com)') });
      // Past the role check, a handler that needs storage fails on the missing settings: a 500 proves it got there.
      expect((await call(httpFunctions.find((fn) => fn.name === 'listPipelines')!, 'GET', operator)).status).toBe(500);
    });

    it('GET /api/me: the local caller without a principal, the principal with one', async () => {
      withoutStorage('true');
      const me = httpFunctions.find((fn) => fn.name === 'me')!;
      const local = await call(me, 'GET');
      expect(local.status).toBe(200);
      expect(local.jsonBody).toEqual({ name: 'local', roles: ['Siphon.Reader', 'Siphon.Operator'], groups: [], local: true });
      const group = '6F0E1C2B-3A4D-4E5F-8A9B-0C1D2E3F4A5B';
      const signedIn = await call(me, 'GET', { 'x-ms-client-principal': forgePrincipal({ name: 'otto@contoso.com', roles: ['Siphon.Operator'], groups: [group] }) });
      expect(signedIn.jsonBody).toEqual({ name: 'otto@contoso.com', roles: ['Siphon.Reader', 'Siphon.Operator'], groups: [group.toLowerCase()], local: false });
      const reader = await call(me, 'GET', { 'x-ms-client-principal': forgePrincipal({ name: 'rita@contoso.com', roles: ['Siphon.Reader'], overage: true }) });
      expect(reader.jsonBody).toEqual({ name: 'rita@contoso.com', roles: ['Siphon.Reader'], groups: [], local: false, groupsOverage: true });
    });

    it('leaves health open without a principal, whatever the header says', async () => {
      withoutStorage(undefined);
      const health = httpFunctions.find((fn) => fn.name === 'health')!;
      // No storage: 503 from the handler itself, not 401 from the wrapper.
      expect((await call(health, 'GET')).status).toBe(503);
      expect((await call(health, 'GET', { 'x-ms-client-principal': 'garbage!' })).status).toBe(503);
    });
  });
});
