import { openMethod } from './openMethod.js';
import { measureRunInput, type MeasureRunOutput } from './measureRunProtocol.js';

/**
 * Child process: one measured run of one method and nothing else, so its peak RSS and CPU
 * belong to that run (user + system from process.cpuUsage(), which counts every thread: Siphon's
 * encoder worker, DuckDB's threads, libuv's). The method is opened and warmed up on a short
 * range first; time and CPU cover the measured run only. Input is one JSON argument; the result
 * one JSON line on stdout. Also the entry point for profiling
 * (`node --cpu-prof dist/bench/measureRun.js '<json>'`, see profileCopy).
 */
async function main(): Promise<void> {
  const input = measureRunInput.parse(JSON.parse(process.argv[2] ?? ''));
  const runner = await openMethod(input.method, input);
  const probe = input.engine === 'postgres'
    ? await (await import('./postgresBackendCpu.js')).openPostgresBackendCpu(input.url)
    : (await import('./mariadbServerCpu.js')).openMariadbServerCpu(input.url);
  let peakHeapUsed = 0;
  let peakExternal = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakHeapUsed = Math.max(peakHeapUsed, usage.heapUsed);
    peakExternal = Math.max(peakExternal, usage.external);
  };
  const sampler = setInterval(sample, 100);
  try {
    if (input.warmRange && runner.warmUp !== false) {
      const warm = await runner.run(input.warmRange);
      await warm.cleanup?.();
    }
    await probe?.start();
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    const result = await runner.run(input.range);
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    // A Python peer's session began and ended inside the run, in another process: not seen.
    const sourceCpuSeconds = result.external ? undefined : await probe?.stop();
    clearInterval(sampler);
    sample();
    const output: MeasureRunOutput = {
      rows: result.rows,
      bytes: result.bytes ?? 0,
      seconds: result.seconds ?? wallSeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6 + (result.external?.cpuSeconds ?? 0) - (result.excludedCpuSeconds ?? 0),
      maxRssMb: Math.max(process.resourceUsage().maxRSS / 1024, result.external?.maxRssMb ?? 0),
      peakHeapUsedMb: peakHeapUsed / 1024 / 1024,
      peakExternalMb: peakExternal / 1024 / 1024,
      ...(sourceCpuSeconds === undefined ? {} : { sourceCpuSeconds }),
      ...(result.hashCpuSeconds === undefined ? {} : { hashCpuSeconds: result.hashCpuSeconds }),
      ...(result.changeRows === undefined ? {} : { changeRows: result.changeRows }),
    };
    // After the figures above are taken, so reading the output back costs the run nothing; a
    // wrong output throws, and this process exits non-zero.
    if (result.verify) {
      const verifyStarted = process.hrtime.bigint();
      output.verified = await result.verify();
      output.verifySeconds = Number(process.hrtime.bigint() - verifyStarted) / 1e9;
    }
    await result.cleanup?.();
    process.stdout.write(`${JSON.stringify(output)}\n`);
  } finally {
    clearInterval(sampler);
    await Promise.all([runner.close(), probe?.close()]);
  }
}

main().then(
  // DuckDB's and the drivers' handles may keep the loop alive after close: the result is out.
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
