import { z } from 'zod';
import { pipelineIdSchema } from './pipelineSpec.js';

export const runIdSchema = z.string().regex(/^\d{8}T\d{6}Z-[a-z0-9]{8}$/, 'a run id like 20261121T163000Z-1a2b3c4d');

export const runReasonSchema = z.enum(['manual', 'schedule']);

export const runOptionsSchema = z.object({}).strict().default({});

/** The message on the job queue: one per run, written by the trigger API and the scheduler. */
export const jobMessageSchema = z
  .object({
    runId: runIdSchema,
    pipelineId: pipelineIdSchema,
    reason: runReasonSchema,
    options: runOptionsSchema,
  })
  .strict();

export type JobMessage = z.infer<typeof jobMessageSchema>;
export type RunReason = z.infer<typeof runReasonSchema>;

/** The body of POST /api/pipelines/{id}/runs. */
export const triggerRunBodySchema = z.object({ options: runOptionsSchema }).strict().default({ options: {} });
