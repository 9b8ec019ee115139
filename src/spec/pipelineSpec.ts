import { z } from 'zod';
import { CronExpressionParser } from 'cron-parser';
import { findSecrets } from './findSecrets.js';

const identifier = z.string().min(1).max(128).regex(/^[^\u0000]+$/, 'must not contain NUL');

export const pipelineIdSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, 'lowercase letters, digits and hyphens, 1-48 characters, not starting or ending with a hyphen');

const appSettingName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'the name of an app setting that holds the connection string (letters, digits, underscores), not the connection string itself');

export const sourceSchema = z
  .object({
    engine: z.literal('postgres'),
    connectionSetting: appSettingName,
  })
  .strict();

export const tableSchema = z.object({ schema: identifier.default('public'), name: identifier }).strict();

export const chunkingSchema = z
  .object({
    column: identifier,
    chunks: z.number().int().min(1).max(10_000).default(8),
    maxParallel: z.number().int().min(1).max(64).default(4),
  })
  .strict();

const containerName = z.string().regex(/^[a-z0-9](?:[a-z0-9]|-(?!-)){2,62}$/, 'a blob container name: 3-63 lowercase letters, digits, single hyphens');

export const outputSchema = z
  .object({
    container: containerName,
    format: z.literal('parquet').default('parquet'),
    compression: z.enum(['snappy', 'gzip', 'none']).default('snappy'),
    maxRowsPerFile: z.number().int().min(1_000).max(100_000_000).default(5_000_000),
    rowGroupRows: z.number().int().min(1_000).max(1_000_000).default(100_000),
  })
  .strict();

export const scheduleSchema = z
  .object({
    cron: z.string().min(1).max(100),
    timeZone: z.string().default('UTC'),
  })
  .strict()
  .superRefine((schedule, ctx) => {
    if (!isTimeZone(schedule.timeZone)) ctx.addIssue({ code: 'custom', path: ['timeZone'], message: `unknown IANA time zone "${schedule.timeZone}"` });
    try {
      CronExpressionParser.parse(schedule.cron, { tz: 'UTC' });
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: `not a cron expression: ${(err as Error).message}` });
    }
  });

export const pipelineSpecSchema = z
  .object({
    id: pipelineIdSchema,
    description: z.string().max(1_000).optional(),
    source: sourceSchema,
    table: tableSchema,
    columns: z.array(identifier).min(1).max(1_000).optional(),
    chunking: chunkingSchema,
    output: outputSchema,
    schedule: scheduleSchema.optional(),
  })
  .strict();

/**
 * The spec as the API accepts it. Secrets are looked for before the shape is checked, so a body
 * carrying a password is refused with a message that says why, whatever else is wrong with it.
 */
export const pipelineSpecInputSchema = z.unknown().superRefine((value, ctx) => {
  for (const found of findSecrets(value)) {
    ctx.addIssue({ code: 'custom', path: found.path, message: found.reason });
  }
}).pipe(pipelineSpecSchema);

export type PipelineSpec = z.infer<typeof pipelineSpecSchema>;

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
