import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { OrchestrationStarter } from '../jobs/orchestrationStarter.js';
import { callerBody, type Caller } from './auth/caller.js';
import { json } from './httpResponses.js';

/**
 * GET /api/me: who the API takes the caller to be, so the dashboard can show the name and offer
 * only what the roles allow. Locally without sign-in: `local`, both roles.
 */
export async function me(_request: HttpRequest, _context: InvocationContext, _orchestrations: OrchestrationStarter | undefined, caller: Caller): Promise<HttpResponseInit> {
  return json(200, callerBody(caller), { 'cache-control': 'no-store' });
}
