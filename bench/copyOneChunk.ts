import { BlobServiceClient } from '@azure/storage-blob';
import { openSiphonCopy, benchContainer, type SiphonChunk, type SiphonMode } from './siphonCopy.js';
import { timed } from './measure.js';

/**
 * Child process: one Siphon chunk copy and nothing else, so the peak RSS it reports belongs to that
 * copy alone. Input is one JSON argument; the result is one JSON line on stdout. Also the entry
 * point for profiling (`node --cpu-prof dist/bench/copyOneChunk.js '<json>'`).
 */
export type CopyOneChunkInput = { chunk: SiphonChunk; connectionString: string; mode?: SiphonMode };
export type CopyOneChunkOutput = {
  rows: number; bytes: number; seconds: number; maxRssMb: number;
  /** Highest V8 heap in use and highest off-heap (Buffers, ArrayBuffers) seen, sampled every 100 ms. */
  peakHeapUsedMb: number; peakExternalMb: number;
};

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '') as CopyOneChunkInput;
  const container = BlobServiceClient.fromConnectionString(input.connectionString).getContainerClient(benchContainer);
  await container.createIfNotExists();
  const runner = await openSiphonCopy(input.chunk, container, input.mode ?? 'copy');
  let peakHeapUsed = 0;
  let peakExternal = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakHeapUsed = Math.max(peakHeapUsed, usage.heapUsed);
    peakExternal = Math.max(peakExternal, usage.external);
  };
  const sampler = setInterval(sample, 100);
  try {
    const { seconds, result } = await timed(() => runner.run());
    clearInterval(sampler);
    sample();
    await result.cleanup?.();
    const output: CopyOneChunkOutput = {
      rows: result.rows, bytes: result.bytes ?? 0, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024,
      peakHeapUsedMb: peakHeapUsed / 1024 / 1024, peakExternalMb: peakExternal / 1024 / 1024,
    };
    process.stdout.write(`${JSON.stringify(output)}\n`);
  } finally {
    clearInterval(sampler);
    await runner.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
