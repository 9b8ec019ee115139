import { z } from 'zod';

/**
 * How a cursor or split key's values become integer digits: the integer itself; microseconds
 * since the epoch for timestamps; days for dates; and for SQL Server's `rowversion` (8 bytes,
 * big-endian, a database-wide counter) the unsigned 64-bit integer those bytes spell.
 */
export const keyKinds = ['integer', 'timestamp', 'timestamptz', 'date', 'rowversion'] as const;
export const keyKindSchema = z.enum(keyKinds);

/** A split key as a chunk's copy reads it: its column and kind, and a composite key's second column (`tuple` chunks). */
export const chunkKeySchema = z.object({
  column: z.string(),
  kind: keyKindSchema,
  next: z.object({ column: z.string(), kind: keyKindSchema }).optional(),
});

/** The largest rowversion, 0xFFFFFFFFFFFFFFFF. */
export const maxRowversion = 2n ** 64n - 1n;

/**
 * The cursor range an incremental run reads: `after < cursor <= upTo`, bounds as integer digits
 * (see KeyBounds; microseconds for timestamps), so the watermark keeps the source's full
 * precision. `after` is absent on a first run or a full refresh: everything up to `upTo`.
 */
export const cursorWindowSchema = z.object({
  column: z.string(),
  kind: keyKindSchema,
  mode: z.enum(['incremental', 'fullRefresh', 'backfill']),
  after: z.string().optional(),
  upTo: z.string(),
  /** The watermark this run started from, before any lookback: what finalize advances from. */
  watermark: z.string().optional(),
  lookback: z.string().optional(),
});

export type CursorWindow = z.infer<typeof cursorWindowSchema>;
