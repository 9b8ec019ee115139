import type { HttpResponseInit } from '@azure/functions';
import { getServices } from '../services.js';
import { errorMessage } from '../errors/errorTypes.js';
import { json } from './httpResponses.js';

/** GET /api/health: 200 when the settings parse and the job queue answers. */
export async function health(): Promise<HttpResponseInit> {
  try {
    const services = await getServices();
    await services.jobQueue.getProperties();
    return json(200, { status: 'ok' });
  } catch (err) {
    return json(503, { status: 'unavailable', error: errorMessage(err) });
  }
}
