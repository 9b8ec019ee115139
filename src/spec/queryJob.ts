import { z } from 'zod';
import { fileFormats, secretFreeInput, sourceSchema } from './pipelineSpec.js';

/**
 * The body of POST /api/queries: one SELECT against a source, read as one chunk. Kept in spec/
 * so the dashboard's query form checks with the API's own schema before it sends.
 */
export const queryJobSchema = z
  .object({
    source: sourceSchema,
    query: z.string().min(1).max(30_000),
    format: z.enum(fileFormats).default('parquet'),
    /** The run's timeout: a query still going after this long is cancelled on the server and ends `timed_out`. */
    timeoutSeconds: z.number().int().min(3).max(7 * 24 * 3_600).default(3_600),
    maxRows: z.number().int().min(1).max(1_000_000_000).optional(),
  })
  .strict();

/** Secrets first, as for a pipeline spec: a body carrying a password is refused for that, whatever else is wrong. */
export const queryJobInputSchema = secretFreeInput.pipe(queryJobSchema);

export type QueryJob = z.infer<typeof queryJobSchema>;

export const queryIdSchema = z.string().regex(/^q-[0-9a-f]{20}$/, 'a query id: q- and 20 hexadecimal digits');
