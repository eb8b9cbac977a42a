// CPU accounting for the PostgreSQL benches: what the server spends per operation is steadier than
// throughput on a machine shared with other jobs.

import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU (ms) used so far by this bench's PostgreSQL, the postmaster on `port` and its children (backends,
 * WAL writer, …), from /proc (Linux; USER_HZ = 100). Per signOnce it is steadier than throughput on a
 * machine shared with other jobs; NaN elsewhere.
 */
export function pgCpuMs(port: number): number {
  const procs: Array<{ pid: string; ppid: string; ticks: number }> = [];
  let master: string | undefined;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.push({ pid, ppid: f[1]!, ticks: Number(f[11]) + Number(f[12]) });
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('/postgres') && argv[argv.indexOf('-p') + 1] === String(port)) master = pid;
    } catch {
      // exited while we looked
    }
  }
  if (!master) return Number.NaN;
  return 10 * procs.filter((p) => p.pid === master || p.ppid === master).reduce((n, p) => n + p.ticks, 0);
}

export function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
