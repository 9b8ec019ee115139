import { z } from 'zod';
import { pipelineIdSchema, retrySchema } from '../spec/pipelineSpec.js';
import { runIdSchema } from '../spec/jobMessage.js';

/** Inputs and results of activities: small by design (ids and counts, never rows or file lists). */
export const runRefSchema = z.object({ pipelineId: pipelineIdSchema, runId: runIdSchema }).strict();
export type RunRef = z.infer<typeof runRefSchema>;

export const preparedRunSchema = z.object({
  /** True when the run may not go ahead (see runGate); it is already marked skipped. */
  skipped: z.boolean(),
  chunkCount: z.number().int().nonnegative(),
  maxParallel: z.number().int().positive(),
  retry: retrySchema,
  timeoutMinutes: z.number().positive(),
});
export type PreparedRun = z.infer<typeof preparedRunSchema>;

export const copyChunkInputSchema = runRefSchema.extend({ chunk: z.number().int().nonnegative(), attempt: z.number().int().min(1).default(1) }).strict();
export type CopyChunkInput = z.input<typeof copyChunkInputSchema>;

export const chunkStatsSchema = z.object({
  chunk: z.number().int(),
  rows: z.number(),
  bytes: z.number(),
  files: z.number(),
  durationInMs: z.number(),
});
export type ChunkStats = z.infer<typeof chunkStatsSchema>;

/**
 * What a chunk's copy tells the orchestrator. Errors a retry can fix are thrown (so the host
 * records them); these are the rest: done, failed for good (bad config, a type with no mapping),
 * or stopped because the run was cancelled or timed out meanwhile. Small, like every activity
 * result: the orchestration history keeps each one, thousands of times in a large run.
 */
export const chunkOutcomeSchema = z.discriminatedUnion('outcome', [
  chunkStatsSchema.extend({ outcome: z.literal('done') }),
  z.object({ outcome: z.literal('failed'), chunk: z.number().int(), error: z.string() }),
  z.object({ outcome: z.literal('stopped'), chunk: z.number().int(), status: z.string() }),
]);
export type ChunkOutcome = z.infer<typeof chunkOutcomeSchema>;

/** Ends a run that did not succeed: failed (the default), or timed_out. */
export const failRunInputSchema = runRefSchema.extend({ error: z.string(), chunk: z.number().int().optional(), status: z.enum(['failed', 'timed_out']).default('failed') }).strict();
export type FailRunInput = z.input<typeof failRunInputSchema>;
