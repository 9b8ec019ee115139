import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { getServices } from '../services.js';
import { pipelineIdSchema } from '../spec/pipelineSpec.js';
import { defaultSchemaContract } from '../spec/schemaContract.js';
import { json, parseParam, problem } from './httpResponses.js';
import { parseQuery } from './queryParameters.js';

/**
 * GET /api/pipelines/{id}/schema: the schema of the pipeline's last successful run, the earlier
 * ones (oldest first), and the contract that applies to the next run.
 */
export async function getPipelineSchema(request: HttpRequest): Promise<HttpResponseInit> {
  const id = parseParam(request, 'id', pipelineIdSchema);
  if (!id.ok) return id.response;
  const query = parseQuery(request, {});
  if (!query.ok) return query.response;
  const services = await getServices();
  const pipeline = await services.pipelines.get(id.value);
  if (!pipeline) return problem(404, `Pipeline ${id.value} does not exist`);
  const history = await services.schemas.history(id.value);
  const current = await services.schemas.current(id.value);
  if (!current) return problem(404, `Pipeline ${id.value} has no schema yet`, 'its first successful run records it');
  const { etag: _etag, ...schema } = current;
  return json(200, { pipelineId: id.value, contract: pipeline.spec.schemaContract ?? defaultSchemaContract, current: schema, history });
}
