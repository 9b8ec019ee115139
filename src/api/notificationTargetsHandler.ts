import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { getServices } from '../services.js';
import { json } from './httpResponses.js';
import { parseQuery } from './queryParameters.js';

/**
 * `GET /api/notifications/targets`: every notification target that has taken or failed a
 * notification, `failing` when the latest delivery that ended failed after every try, with the
 * reason (setting values hidden). Targets are named by kind and setting name, never by address.
 */
export async function listNotificationTargets(request: HttpRequest): Promise<HttpResponseInit> {
  const query = parseQuery(request, {});
  if (!query.ok) return query.response;
  const services = await getServices();
  return json(200, { targets: await services.notifications.listTargets() });
}
