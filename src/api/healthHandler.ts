import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { getServices } from '../services.js';
import { errorMessage } from '../errors/errorTypes.js';
import { json } from './httpResponses.js';

/**
 * GET /api/health: 200 when the settings parse and the job queue answers. The one route App
 * Service Authentication leaves open (for probes), so a 503 says only that the app is
 * unavailable: why (a setting, a storage account, an endpoint) goes to the log, not to anyone
 * on the internet.
 */
export async function health(_request: unknown, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const services = await getServices();
    await services.jobQueue.getProperties();
    return json(200, { status: 'ok' });
  } catch (err) {
    context.error(`health: ${errorMessage(err)}`);
    return json(503, { status: 'unavailable', detail: `the function log has the reason under invocation ${context.invocationId}` });
  }
}
