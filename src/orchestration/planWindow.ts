import { NonRetryableError } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import type { CursorWindow } from '../spec/cursorWindow.js';
import type { RunOptions } from '../spec/jobMessage.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import type { KeyBounds, ReadTarget, SourceConnector } from '../sources/sourceConnector.js';
import { lookbackDigits, parseCursorText } from '../copy/cursorValues.js';

/**
 * The cursor range an incremental run reads, fixed at prepare so every chunk (and every retry of
 * it) reads the same rows: `after < cursor <= upTo`. `upTo` is the cursor's maximum now; a row
 * committed later with a higher value belongs to the next run, and one that lands at or below
 * `upTo` after this point is what the lookback window re-reads. Undefined when there is nothing
 * to read at all (an empty table and no watermark yet).
 */
export async function planWindow(
  services: Services,
  source: SourceConnector,
  target: ReadTarget,
  spec: PipelineSpec & { incremental: NonNullable<PipelineSpec['incremental']> },
  options: RunOptions,
  where: string,
): Promise<{ window: CursorWindow | undefined; bounds: KeyBounds }> {
  const { column } = spec.incremental;
  const bounds = await source.keyBounds(target, column);
  const { kind } = bounds;
  if (options.backfill) {
    const after = parseCursorText(kind, options.backfill.from, `${where}, backfill.from`);
    const upTo = parseCursorText(kind, options.backfill.to, `${where}, backfill.to`);
    if (BigInt(after) >= BigInt(upTo)) throw new NonRetryableError(`${where}: backfill.from must be below backfill.to`);
    return { window: { column, kind, mode: 'backfill', after, upTo }, bounds };
  }
  const stored = options.fullRefresh ? undefined : await services.watermarks.get(spec.id);
  if (stored && (stored.column !== column || stored.kind !== kind)) {
    throw new NonRetryableError(`${where}: the watermark is on ${stored.column} (${stored.kind}) but the cursor is now ${column} (${kind}); trigger a run with options.fullRefresh to start over`);
  }
  const watermark = stored?.value;
  const lookback = watermark === undefined ? 0n : lookbackDigits(kind, spec.incremental, where);
  const after = watermark === undefined ? undefined : String(BigInt(watermark) - lookback);
  // An empty table, or rows deleted since, leaves the window closed at the watermark: nothing to read.
  const max = bounds.max === undefined ? undefined : BigInt(bounds.max);
  const upTo = watermark === undefined ? (max === undefined ? undefined : String(max)) : String(max !== undefined && max > BigInt(watermark) ? max : BigInt(watermark));
  const mode = options.fullRefresh ? 'fullRefresh' : 'incremental';
  // No rows and no watermark: nothing to read, and nothing to move the watermark to.
  if (upTo === undefined) return { window: undefined, bounds };
  return { window: { column, kind, mode, after, upTo, watermark, ...(lookback > 0n ? { lookback: String(lookback) } : {}) }, bounds };
}
