import { afterEach, expect, it, vi } from 'vitest';
import functions from '@azure/functions';
import { health } from '../../src/api/healthHandler.js';
import { resetServices } from '../../src/services.js';

/**
 * /api/health is the one route open to anyone in Azure (App Service Authentication excludes it
 * for probes), so when the app is unwell it says so and nothing more: the reason, which names
 * endpoints and settings, goes to the function log.
 */
// Settings through vi.stubEnv, undone after each test: unit files share a worker thread.
afterEach(() => {
  vi.unstubAllEnvs();
  resetServices();
});

it('answers 503 without the reason when the job queue does not answer, and logs the reason', async () => {
  // A storage account that refuses connections: nothing listens on port 1.
  vi.stubEnv('AzureWebJobsStorage', 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;QueueEndpoint=http://127.0.0.1:1/devstoreaccount1;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;');
  resetServices();
  const logged: string[] = [];
  const context = new functions.InvocationContext({ functionName: 'health', invocationId: 'inv-1', logHandler: (_level, ...args) => logged.push(args.join(' ')) });
  const answer = await health(undefined, context);
  expect(answer.status).toBe(503);
  const body = JSON.stringify(answer.jsonBody);
  expect(answer.jsonBody).toMatchObject({ status: 'unavailable' });
  expect(body).toContain('inv-1');
  expect(body).not.toMatch(/127\.0\.0\.1|devstoreaccount1|ECONNREFUSED|AccountKey/);
  expect(logged.join('\n')).toMatch(/^health: /m);
}, 60_000);
