import { readdirSync, readFileSync } from 'node:fs';
import type { SourceCpuProbe } from './postgresBackendCpu.js';

/** Linux reports /proc/<pid>/stat times in USER_HZ, 100 on every Linux architecture Node runs on. */
const ticksPerSecond = 100;

/**
 * The source's side of a run on MariaDB: CPU seconds of the whole mariadbd (or mysqld) process on
 * this machine, all its threads, from /proc before and after. MariaDB serves sessions from
 * threads of one process, so no finer figure is to be had from outside; its background threads
 * (purge, page cleaner) and anyone else's queries count too: a figure to compare side by side
 * within one bench, not an absolute. Undefined when the server is not a local process.
 */
export function openMariadbServerCpu(url: string): SourceCpuProbe | undefined {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname)) return undefined;
  const pid = serverPid();
  if (pid === undefined) return undefined;
  let before: number | undefined;
  return {
    start: async () => {
      before = cpuTicks(pid);
    },
    stop: async () => {
      const after = cpuTicks(pid);
      return before === undefined || after === undefined ? undefined : (after - before) / ticksPerSecond;
    },
    close: async () => undefined,
  };
}

function serverPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const name = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (name === 'mariadbd' || name === 'mysqld') return Number(entry);
    } catch {
      // A process that ended meanwhile.
    }
  }
  return undefined;
}

function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}
