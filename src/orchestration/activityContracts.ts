import { z } from 'zod';
import { pipelineIdSchema } from '../spec/pipelineSpec.js';
import { runIdSchema } from '../spec/jobMessage.js';

/** Inputs and results of activities: small by design (ids and counts, never rows or file lists). */
export const runRefSchema = z.object({ pipelineId: pipelineIdSchema, runId: runIdSchema }).strict();
export type RunRef = z.infer<typeof runRefSchema>;

export const preparedRunSchema = z.object({ chunkCount: z.number().int().nonnegative(), maxParallel: z.number().int().positive() });
export type PreparedRun = z.infer<typeof preparedRunSchema>;

export const copyChunkInputSchema = runRefSchema.extend({ chunk: z.number().int().nonnegative() }).strict();
export type CopyChunkInput = z.infer<typeof copyChunkInputSchema>;

export const chunkStatsSchema = z.object({
  chunk: z.number().int(),
  rows: z.number(),
  bytes: z.number(),
  files: z.number(),
  durationInMs: z.number(),
});
export type ChunkStats = z.infer<typeof chunkStatsSchema>;

export const failRunInputSchema = runRefSchema.extend({ error: z.string(), chunk: z.number().int().optional() }).strict();
export type FailRunInput = z.infer<typeof failRunInputSchema>;
