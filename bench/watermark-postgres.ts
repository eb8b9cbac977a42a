// signOnce throughput and latency of the PostgreSQL watermark (issue #6) against a local server started
// here (fsync on, synchronous_commit on), with 1 and 3 replica processes and 1 and 32 concurrent slots
// per process. Each request is a new height on its slot, so every one is a full transaction in two
// round trips (src/watermark/postgres-store.ts): BEGIN + SELECT … FOR UPDATE, sign (a real secp256k1
// signature in JS, 0.1 to 0.4 ms of CPU, standing in for the HSM), UPDATE + COMMIT (one WAL flush).
// Slots are distinct per process: this measures what the database sustains, not contention (that is
// test/07-postgres-replicas.test.ts).
// Run: node --import tsx bench/watermark-postgres.ts [seconds per case, default 3]

import { readdirSync, readFileSync } from 'node:fs';
import { testSigner } from '../test/helpers/ecdsa-signer.js';
import { startReplicas } from '../test/helpers/pg-replicas.js';
import { startPostgres } from '../test/helpers/postgres.js';

const seconds = Number(process.argv[2] ?? 3);
const signer = testSigner();
const server = await startPostgres();

/**
 * CPU (ms) used so far by this bench's PostgreSQL, the postmaster on `port` and its children (backends,
 * WAL writer, …), from /proc (Linux; USER_HZ = 100). Per signOnce it is steadier than throughput on a
 * machine shared with other jobs; NaN elsewhere.
 */
function pgCpuMs(port: number): number {
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

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

console.log(`PostgreSQL watermark, ${seconds}s per case, default pool (6 connections per process)`);
console.log('processes  slots/proc   signOnce/s   p50 ms   p99 ms   max ms  errors  pg CPU µs/op');
let caseNo = 0;
try {
  for (const processes of [1, 3]) {
    for (const slotsPerProcess of [1, 32]) {
      const url = await server.createDatabase(`bench${++caseNo}`);
      const replicas = await startReplicas(processes, url, signer.secretKeyHex);
      // Warm the connection pools and create the rows, then measure.
      const run = (durationMs: number, levelBase: number) => {
        const startAt = Date.now() + 200;
        return Promise.all(
          replicas.map((r, p) =>
            r.request({
              op: 'bench',
              slots: Array.from({ length: slotsPerProcess }, (_, s) => ({
                chainId: 'NetXdQprcVkpaWU',
                pkh: `tz1bench${p + 1}x${s + 1}`.replaceAll('0', 'o'),
                kind: 'block',
              })),
              durationMs,
              startAt,
              levelBase,
            }),
          ),
        );
      };
      await run(500, 1);
      const cpu0 = pgCpuMs(server.port);
      const replies = await run(seconds * 1000, 1_000_000);
      const cpuMs = pgCpuMs(server.port) - cpu0;
      const lat = replies.flatMap((r) => r.latenciesMs as number[]).sort((a, b) => a - b);
      const errors = replies.reduce((n, r) => n + (r.errors as number), 0);
      console.log(
        `${String(processes).padStart(9)}  ${String(slotsPerProcess).padStart(10)}  ${(lat.length / seconds)
          .toFixed(0)
          .padStart(11)}  ${pct(lat, 50).toFixed(2).padStart(7)}  ${pct(lat, 99).toFixed(2).padStart(7)}  ${(
          lat.at(-1) ?? 0
        )
          .toFixed(1)
          .padStart(
            7,
          )}  ${String(errors).padStart(6)}  ${((cpuMs * 1000) / lat.length).toFixed(0).padStart(12)}`,
      );
      await Promise.all(replicas.map((r) => r.close()));
    }
  }
} finally {
  await server.dispose();
}
