import { z } from 'zod';
import { pipelineIdSchema } from './pipelineSpec.js';
import { backfillBoundsProblems } from './backfillBounds.js';

export const runIdSchema = z.string().regex(/^\d{8}T\d{6}Z-[a-z0-9]{8}$/, 'a run id like 20261121T163000Z-1a2b3c4d');

/** `reingest`: a run that reads a succeeded run's quarantined rows instead of the source (api/reingestHandler.ts). */
export const runReasonSchema = z.enum(['manual', 'schedule', 'retry', 'reingest']);

/**
 * How a run reads an incremental pipeline: `fullRefresh` ignores the watermark once (and then
 * moves it as usual); `backfill` reads `from < cursor <= to` and leaves the watermark alone.
 * Bounds are cursor values as text: digits, `YYYY-MM-DD`, or ISO 8601 timestamps.
 */
const runOptionsObject = z
  .object({
    fullRefresh: z.literal(true).optional(),
    backfill: z.object({ from: z.string().min(1).max(40), to: z.string().min(1).max(40) }).strict().optional(),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (options.fullRefresh && options.backfill) ctx.addIssue({ code: 'custom', path: ['backfill'], message: 'a run is a full refresh or a backfill, not both' });
  });

/** Options as a run record keeps them: read back as stored, so a later rule never hides a run. */
export const runOptionsSchema = runOptionsObject.default({});

/**
 * Options as a trigger or a job message brings them: backfill bounds are checked as far as they
 * can be before prepare knows the cursor column's type (see backfillBoundsProblems).
 */
export const runOptionsInputSchema = runOptionsObject
  .superRefine((options, ctx) => {
    if (!options.backfill) return;
    for (const [field, message] of backfillBoundsProblems(options.backfill.from, options.backfill.to)) ctx.addIssue({ code: 'custom', path: ['backfill', field], message });
  })
  .default({});

export type RunOptions = z.infer<typeof runOptionsSchema>;

/** The message on the job queue: one per run, written by the trigger API and the scheduler. */
export const jobMessageSchema = z
  .object({
    runId: runIdSchema,
    pipelineId: pipelineIdSchema,
    reason: runReasonSchema,
    options: runOptionsInputSchema,
    /** 0 for the first try; a retry of a failed run is a new orchestration instance of the same run. */
    attempt: z.number().int().min(0).max(1_000).default(0),
  })
  .strict();

export type JobMessage = z.infer<typeof jobMessageSchema>;
export type RunReason = z.infer<typeof runReasonSchema>;

/** The body of POST /api/pipelines/{id}/runs. */
export const triggerRunBodySchema = z.object({ options: runOptionsInputSchema }).strict().default({ options: {} });
