import { afterEach, describe, expect, it } from 'vitest';
import functions from '@azure/functions';
import { functionRegistry, type HttpFunction } from '../../src/registry.js';
import { resetServices } from '../../src/services.js';

const httpFunction = (name: string) => functionRegistry.find((fn): fn is HttpFunction => fn.kind === 'http' && fn.name === name)!;
const context = () => new functions.InvocationContext({ functionName: 'test', invocationId: 'inv-1', logHandler: () => undefined });

describe('the registry http wrapper', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    resetServices();
  });

  it('turns an unexpected error into a 500 that names the invocation and nothing internal', async () => {
    // Settings that cannot work: the handler throws, with the setting's value in the message.
    process.env = { ...saved, AzureWebJobsStorage: undefined, AzureWebJobsStorage__accountName: undefined, SIPHON_JOB_QUEUE: 'Bad_Queue;AccountKey=s3cret' };
    resetServices();
    const answer = await httpFunction('listPipelines').handler(new functions.HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/pipelines' }), context());
    expect(answer.status).toBe(500);
    expect(JSON.stringify(answer.jsonBody)).toBe('{"type":"about:blank","title":"Internal error","status":500,"detail":"the function log has the details under invocation inv-1"}');
  });

  it('screens every function: a change without application/json never reaches its handler', async () => {
    for (const fn of functionRegistry.filter((f): f is HttpFunction => f.kind === 'http')) {
      for (const method of fn.methods.filter((m) => m !== 'GET')) {
        const answer = await fn.handler(new functions.HttpRequest({ method, url: 'http://127.0.0.1/api/x', headers: { 'content-type': 'text/plain' }, body: { string: '{}' } }), context());
        expect(answer.status, `${method} ${fn.route}`).toBe(415);
      }
    }
  });
});
