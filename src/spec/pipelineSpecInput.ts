import { checkNewSpec } from './newSpecRules.js';
import { pipelineSpecSchema, refuseMaxRows, refuseTablePipelineId, secretFreeInput } from './pipelineSpec.js';

/**
 * The spec as the API accepts it: secrets first (see secretFreeInput), then the shape, then the
 * rules only a new or changed spec must meet (see checkNewSpec). Kept apart from pipelineSpec.ts
 * because checkNewSpec reads app settings and parses SQL, which the dashboard's bundle cannot.
 */
export const pipelineSpecInputSchema = secretFreeInput.pipe(pipelineSpecSchema.superRefine(checkNewSpec).superRefine(refuseMaxRows).superRefine(refuseTablePipelineId));
