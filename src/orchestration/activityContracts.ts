import { z } from 'zod';
import { retrySchema, runPipelineIdSchema } from '../spec/pipelineSpec.js';
import { runIdSchema } from '../spec/jobMessage.js';

/** Inputs and results of activities: small by design (ids and counts, never rows or file lists). */
export const runRefSchema = z.object({ pipelineId: runPipelineIdSchema, runId: runIdSchema }).strict();
export type RunRef = z.infer<typeof runRefSchema>;

/**
 * The orchestration's input: the run, and the shape of orchestration that started it. Replayed
 * code must yield the same actions it yielded when the instance started, so an instance keeps the
 * version it was started with across deploys (see copyRunOrchestrator). Absent is version 1, the
 * shape before versions existed.
 */
export const orchestrationVersions = {
  /** prepare, copy, finalize or failRun. */
  v1: 1,
  /** v1, and the failed, cancelled and timed-out endings call cleanupRun. */
  cleanupAtEnding: 2,
  /**
   * v2, and each chunk first takes a slot of its source's session semaphore (source.maxSessions):
   * the acquireSourceSlot activity, with a durable timer between tries, before its copyChunk.
   */
  sourceSlots: 3,
  /**
   * v3, and a run of a many-table pipeline (prepare answers `tables`) runs each table as a
   * sub-orchestration of this same orchestrator (input `table`), then finishTablesRun; a table's
   * orchestration prepares through prepareTableRun and answers how its run ended.
   */
  tables: 4,
} as const;
export const currentOrchestrationVersion = orchestrationVersions.tables;
export const copyRunInputSchema = runRefSchema.extend({
  version: z.number().int().min(1).max(currentOrchestrationVersion).default(orchestrationVersions.v1),
  /** A table's orchestration (version 4 on): the place of its table in the run named by the ref, the pipeline's run. */
  table: z.number().int().nonnegative().optional(),
  /** A table's orchestration: the most chunks it copies at once, its share of the pipeline's maxParallel. */
  chunkParallel: z.number().int().positive().optional(),
}).strict();
export type CopyRunInput = z.input<typeof copyRunInputSchema>;

export const preparedRunSchema = z.object({
  /** True when the run may not go ahead (see runGate); it is already marked skipped. */
  skipped: z.boolean(),
  chunkCount: z.number().int().nonnegative(),
  maxParallel: z.number().int().positive(),
  retry: retrySchema,
  timeoutMinutes: z.number().positive(),
  /** Absent in histories recorded before it was a setting: they were sliced by 100. */
  chunksPerOrchestration: z.number().int().positive().default(100),
  /**
   * A run of a many-table pipeline: how many tables it copies (each a run of its own, in a
   * sub-orchestration), how many run at once and with how many chunks each (so that together
   * they hold the pipeline's maxParallel), and whether a failed table stops the others.
   */
  tables: z.object({ count: z.number().int().positive(), parallel: z.number().int().positive(), chunkParallel: z.number().int().positive(), failFast: z.boolean() }).optional(),
});
export type PreparedRun = z.infer<typeof preparedRunSchema>;

/** Prepares one table's run of a many-table run (prepareTableRun): the pipeline's run and the table's place in it. */
export const tableRunInputSchema = runRefSchema.extend({ table: z.number().int().nonnegative() }).strict();
export type TableRunInput = z.infer<typeof tableRunInputSchema>;

/**
 * Which run the table's run is, and either its plan or how it already ended (it succeeded before
 * this retry of the pipeline's run, was stopped, or its prepare failed or skipped it).
 */
export const preparedTableRunSchema = z.object({ ref: runRefSchema, ended: z.string().optional(), plan: preparedRunSchema.optional() });
export type PreparedTableRun = z.infer<typeof preparedTableRunSchema>;

/** Ends the tables of a run that are still going (stopTables): cancelled (failFast, a cancel) or timed out. */
export const stopTablesInputSchema = runRefSchema.extend({ status: z.enum(['cancelled', 'timed_out']), reason: z.string() }).strict();
export type StopTablesInput = z.infer<typeof stopTablesInputSchema>;

export const copyChunkInputSchema = runRefSchema.extend({
  chunk: z.number().int().nonnegative(),
  attempt: z.number().int().min(1).default(1),
  /**
   * Version 3 on, the slot of the source's session semaphore for this attempt: the one the
   * orchestrator took (a number), or `try` (take one at the start, or answer `waiting` at once).
   * Absent: no slot (instances started before version 3).
   */
  sourceSlot: z.union([z.literal('try'), z.number().int().nonnegative()]).optional(),
}).strict();
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
  /** Asked to `try` for a slot and none was free: nothing copied; wait, then ask (acquireSourceSlot). */
  z.object({ outcome: z.literal('waiting'), chunk: z.number().int(), ahead: z.number().int().nonnegative(), retryAfterSeconds: z.number().positive() }),
]);
export type ChunkOutcome = z.infer<typeof chunkOutcomeSchema>;

/** Asks for a slot of the source's session semaphore for one attempt of a chunk (acquireSourceSlotActivity). */
export const acquireSlotInputSchema = runRefSchema.extend({ chunk: z.number().int().nonnegative(), attempt: z.number().int().min(1) }).strict();
export type AcquireSlotInput = z.infer<typeof acquireSlotInputSchema>;

/**
 * The answer: a slot (none when the chunk reads no source: a re-ingest), or wait `retryAfterSeconds`
 * and ask again, or stop (the run ended meanwhile).
 */
export const slotOutcomeSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('acquired'), slot: z.number().int().nonnegative().optional() }),
  z.object({ outcome: z.literal('waiting'), ahead: z.number().int().nonnegative(), retryAfterSeconds: z.number().positive() }),
  z.object({ outcome: z.literal('stopped'), status: z.string() }),
]);
export type SlotOutcome = z.infer<typeof slotOutcomeSchema>;

/** Ends a run that did not succeed: failed (the default), or timed_out. */
export const failRunInputSchema = runRefSchema.extend({ error: z.string(), chunk: z.number().int().optional(), status: z.enum(['failed', 'timed_out']).default('failed') }).strict();
export type FailRunInput = z.input<typeof failRunInputSchema>;

/** What a cleanup did: nothing (the run is not, or no longer, failed, cancelled or timed out), or how much it deleted and reset. */
export const cleanupResultSchema = z.object({
  cleaned: z.boolean(),
  status: z.string(),
  deleted: z.number().int().nonnegative(),
  chunksReset: z.number().int().nonnegative(),
});
export type CleanupResult = z.infer<typeof cleanupResultSchema>;
