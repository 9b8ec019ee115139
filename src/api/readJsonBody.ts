import type { HttpRequest } from '@azure/functions';
import { problem, type Parsed } from './problem.js';
import { readBodyText } from './readBodyText.js';
import { jsonTextProblem } from './jsonTextProblem.js';
import { maxJsonDepth, maxRequestBodyBytes } from './requestLimits.js';

/**
 * A request's JSON body, or undefined when there is none: read up to the size cap (413), scanned
 * for depth, repeated keys and prototype keys (400 naming the path) before JSON.parse runs, then
 * parsed (400 when it is not JSON). Nothing recursive ever sees a body that failed a check.
 */
export async function readJsonBody(request: HttpRequest): Promise<Parsed<unknown>> {
  const text = await readBodyText(request, maxRequestBodyBytes);
  if (!text.ok) return text;
  if (text.value.trim() === '') return { ok: true, value: undefined };
  const refused = jsonTextProblem(text.value, maxJsonDepth);
  if (refused) return { ok: false, response: problem(400, 'The request body is invalid', `${refused.path}: ${refused.message}`, [refused]) };
  try {
    return { ok: true, value: JSON.parse(text.value) as unknown };
  } catch (err) {
    // JSON.parse names the position only ("Unexpected token } in JSON at position 7"): no internal text.
    return { ok: false, response: problem(400, 'The request body is not valid JSON', `body: ${err instanceof Error ? err.message : 'not JSON'}`) };
  }
}
