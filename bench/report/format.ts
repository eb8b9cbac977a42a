// One run as markdown (bench/results/latest.md, also printed by `npm run bench`).
import { formatHsmBench } from '../hsm.js';
import type { BenchResults } from './results.js';

const table = (header: string[], rows: Array<Array<string | number | null>>) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map((c) => (c === null ? '-' : String(c))).join(' | ')} |`),
  ].join('\n');

export function formatResults(r: BenchResults): string {
  const m = r.machine;
  return [
    `# tezos-hsm-signer benchmark (${r.date})`,
    '',
    `Node ${m.node}, ${m.cpus} × ${m.cpuModel}; ${m.seconds} s per load point, loopback, load generator in its own process.`,
    'SoftHSM2 token; HTTP rows sign attestations at rising levels, each client on its own chain id.',
    '',
    '## Targets',
    table(
      ['issue', 'target', 'measured', 'result'],
      r.targets.map((t) => [t.issue, t.target, t.measured, t.pass ? 'PASS' : 'MISS']),
    ),
    '',
    '## 1. HSM floor: raw C_Sign (C) vs the addon, same token',
    formatHsmBench(r.hsm),
    '',
    `fdatasync of a small append (file watermark durability), p50: ${r.fdatasyncP50Ms} ms`,
    '',
    '## 2–4. HTTP: empty Hono, the pkcs11js baseline, tezos-hsm-signer',
    table(
      ['server', 'curve', 'watermark', 'clients', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms'],
      r.http.map((h) => [h.server, h.curve, h.store, h.clients, h.rate, h.p50Ms, h.p90Ms, h.p99Ms]),
    ),
    '',
    '## Start-up (spawn → GET /authorized_keys 200) and peak RSS (VmHWM over all its load points)',
    table(
      ['server', 'curve', 'watermark', 'start-up ms', 'peak RSS MB'],
      r.servers.map((s) => [s.server, s.curve, s.store, s.startupMs, s.peakRssMb]),
    ),
    '',
    '## Remote HSM: a sleep before every C_SignInit and C_Sign (fault library), p256, default configuration',
    table(
      ['delay per call', 'server', 'watermark', 'clients', 'req/s', 'p50 ms', 'p99 ms'],
      r.remote.map((h) => [`${h.delayUs / 1000} ms`, h.server, h.store, h.clients, h.rate, h.p50Ms, h.p99Ms]),
    ),
    '',
    'Hand-over, one session: a sign alone (sign ahead on, then off), and the same sign with a second one queued 1 ms behind it (medians).',
    table(
      ['delay per call', 'alone ms', 'alone ms, sign_ahead off', 'second queued behind ms'],
      r.handOver.map((h) => [`${h.delayUs / 1000} ms`, h.aloneMs, h.aloneOffMs ?? '-', h.queuedBehindMs]),
    ),
    '',
    '## Growth: keys on the token (memory watermark) and watermark slots (file watermark), p256',
    table(
      ['axis', 'count', 'start-up ms', '1-client p50 ms', '1-client req/s', '8-client req/s', 'peak RSS MB'],
      r.growth.map((g) => [g.axis, g.count, g.startupMs, g.p50Ms, g.rate1, g.rate8, g.peakRssMb]),
    ),
    '',
  ].join('\n');
}
