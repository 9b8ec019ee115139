import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { methodIds } from './methods.js';
import { runChild } from './measure.js';

/** The child process that measures one run of one method: dist/bench/measureRun.js. */
export const measureRunScript = fileURLToPath(new URL('./measureRun.js', import.meta.url));

const keyRange = z.object({ lower: z.string(), upper: z.string(), upperInclusive: z.boolean() });

export const measureRunInput = z.object({
  method: z.enum(methodIds),
  engine: z.enum(['postgres', 'mariadb']),
  url: z.string(),
  table: z.string(),
  columns: z.array(z.string()),
  key: z.string(),
  range: keyRange,
  /** Run once before the measured run, in the same process (JIT, connections, DuckDB's start). */
  warmRange: keyRange.optional(),
  connectionString: z.string(),
  scratchDir: z.string(),
  python: z.string().optional(),
});
export type MeasureRunInput = z.infer<typeof measureRunInput>;

export const measureRunOutput = z.object({
  rows: z.number(),
  /** Output bytes (files uploaded, or encoded and dropped); 0 for a read. */
  bytes: z.number(),
  seconds: z.number(),
  /** User + system CPU of the measured run, every thread of the process (and of a Python peer's process). */
  cpuSeconds: z.number(),
  /** process.resourceUsage().maxRSS over the process's life (the warm-up is smaller), or a Python peer's ru_maxrss if larger. */
  maxRssMb: z.number(),
  /** Highest V8 heap in use and highest off-heap (Buffers, ArrayBuffers), sampled every 100 ms. */
  peakHeapUsedMb: z.number(),
  peakExternalMb: z.number(),
  /** CPU seconds of the PostgreSQL backends serving the run, when they can be read. */
  sourceCpuSeconds: z.number().optional(),
  hashCpuSeconds: z.number().optional(),
  /** A hashDiff run: the change rows it wrote. */
  changeRows: z.number().optional(),
  /** A hashDiff run whose output was read back after the measurement and held exactly the expected changes. */
  verified: z.object({ inserts: z.number(), updates: z.number(), deletes: z.number() }).optional(),
  /** Seconds the read-back took (not part of `seconds`). */
  verifySeconds: z.number().optional(),
});
export type MeasureRunOutput = z.infer<typeof measureRunOutput>;

export function measureRun(input: MeasureRunInput, nodeArgs: string[] = []): Promise<MeasureRunOutput> {
  return runChild(measureRunScript, input, measureRunOutput, nodeArgs);
}
