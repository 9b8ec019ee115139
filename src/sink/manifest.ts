import { z } from 'zod';
import { columnSchema, fileEntrySchema } from '../spec/columns.js';

/**
 * `_manifest.json`: the list of a run's files that readers may trust. It is written after every
 * chunk is committed and before `_SUCCESS`; a file not listed here is not part of the run.
 */
export const manifestSchema = z.object({
  manifestVersion: z.literal(1),
  pipelineId: z.string(),
  runId: z.string(),
  createdAt: z.string(),
  format: z.literal('parquet'),
  compression: z.string(),
  source: z.object({ engine: z.string(), table: z.string() }),
  columns: z.array(columnSchema),
  rows: z.number(),
  bytes: z.number(),
  files: z.array(fileEntrySchema.extend({ chunk: z.number().int() })),
});

export type Manifest = z.infer<typeof manifestSchema>;
