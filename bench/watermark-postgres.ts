// signOnce throughput and latency of the PostgreSQL watermark (docs/ha.md) against a local server started
// here (fsync on, synchronous_commit on), with 1 and 3 replica processes and 1 and 32 concurrent slots
// per process. Each request is a new height on its slot, so every one reserves it in one round trip
// (src/watermark/postgres-store.ts: BEGIN, SELECT … FOR UPDATE, conditional UPDATE, COMMIT: one WAL flush)
// while it signs (a real secp256k1 signature in JS, standing in for the HSM), then records the signature
// in a second round trip that does not wait for the flush.
// Slots are distinct per process: this measures what the database sustains, not contention (that is
// test/07-postgres-replicas.test.ts).
// The server has a synchronous standby (as in production), and each case runs twice: watermark.url
// naming the primary only, and naming the primary and its standby (postgres-primary.ts checks every new
// connection and reads the replication state periodically): the difference is what multi-host costs.
// Run: node --import tsx bench/watermark-postgres.ts [seconds per case, default 3]

import { testSigner } from '../test/helpers/ecdsa-signer.js';
import { startReplicas } from '../test/helpers/pg-replicas.js';
import { startSyncPair } from '../test/helpers/pg-standby.js';
import { pct, pgCpuMs } from './pg-cpu.js';

const seconds = Number(process.argv[2] ?? 3);
const signer = testSigner();
const pair = await startSyncPair('bench0');
const server = pair.primary;

console.log(`PostgreSQL watermark, ${seconds}s per case, default pool (6 connections per process)`);
console.log('primary with a synchronous standby; url: the primary only (1) or primary,standby (2)');
console.log('processes  slots/proc  url   signOnce/s   p50 ms   p99 ms   max ms  errors  pg CPU µs/op');
let caseNo = 0;
try {
  for (const processes of [1, 3]) {
    for (const slotsPerProcess of [1, 32]) {
      for (const hosts of [1, 2]) {
        const db = `bench${++caseNo}`;
        await server.createDatabase(db);
        const url = hosts === 1 ? server.urlFor(db) : pair.multiHostUrl(db);
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
          `${String(processes).padStart(9)}  ${String(slotsPerProcess).padStart(10)}  ${String(hosts).padStart(3)}  ${(
            lat.length / seconds
          )
            .toFixed(0)
            .padStart(
              11,
            )}  ${pct(lat, 50).toFixed(2).padStart(7)}  ${pct(lat, 99).toFixed(2).padStart(7)}  ${(
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
  }
} finally {
  await pair.dispose();
}
