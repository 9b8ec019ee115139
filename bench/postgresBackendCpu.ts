import { readFileSync } from 'node:fs';
import pg from 'pg';

/** Linux reports /proc/<pid>/stat times in USER_HZ, which is 100 on every Linux architecture Node runs on. */
const ticksPerSecond = 100;

export type SourceCpuProbe = { start(): Promise<void>; stop(): Promise<number | undefined>; close(): Promise<void> };

/**
 * The source's side of a run: CPU seconds of the PostgreSQL backends serving the bench database
 * (every session but the probe's own), read from /proc/<pid>/stat before and after. Only when the
 * server runs on this machine, and only when the same backends lived through the run (a Python
 * peer connects anew each run, so it gets no figure). The bench's other sessions on that
 * database are idle meanwhile.
 */
export async function openPostgresBackendCpu(url: string): Promise<SourceCpuProbe | undefined> {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname)) return undefined;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const backends = async () => (await client.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY pid`)).rows.map((row) => row.pid);
  let before: Map<number, number> | undefined;
  return {
    start: async () => {
      before = cpuOf(await backends());
    },
    stop: async () => {
      const pids = await backends();
      const after = cpuOf(pids);
      if (!before || !after || pids.length !== before.size || pids.some((pid) => !before!.has(pid))) return undefined;
      return pids.reduce((sum, pid) => sum + after.get(pid)! - before!.get(pid)!, 0) / ticksPerSecond;
    },
    close: () => client.end(),
  };
}

/** utime + stime of each process in ticks, or undefined when one cannot be read (not on this machine). */
function cpuOf(pids: number[]): Map<number, number> | undefined {
  const ticks = new Map<number, number>();
  try {
    for (const pid of pids) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces: state is
      // field 3, utime and stime fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    }
  } catch {
    return undefined;
  }
  return ticks;
}
