// Where the signer's resident memory goes as keys are added to the token: starts tezos-hsm-signer (memory
// watermark) and the pkcs11js peer on a SoftHSM2 token holding 1, 100 and 1000 P-256 keys, and prints for
// each VmHWM/VmRSS at readiness and after a short load, resident memory by kind of mapping
// (/proc/PID/smaps: file-backed, the brk heap of libc malloc, other anonymous memory) and, through the
// probe preloaded into the server (bench/memory/probe.mjs), V8's heap and external memory with their peaks.
// The load is the growth row's of bench/run.ts: 1 client, then 8, BENCH_SECONDS (default 3) each.
// Usage: node --import tsx bench/rss-keys.ts [COUNTS, default 1,100,1000] [ROUNDS, default 1] [PEER: peer|no]
// (the peer lists keys with a search per key: minutes at 1000 keys; `no` leaves it out).
// RSS_BUILDS=NAME=DIR,… compares addon builds, interleaved round by round: each signer loads
// DIR/build/Release through node-gyp-build's TEZOS_HSM_SIGNER_PREBUILD (an empty DIR: this worktree's).
// One JSON line per server, then the medians per server, build and key count.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePkcs11js } from './baseline/build-pkcs11js.js';
import { createKeyToken } from './load/key-token.js';
import { buildProduct, productConfig, startProduct } from './load/product.js';
import { runLoad } from './load/run-load.js';
import { type ServerProcess, startServer } from './load/server-process.js';

const PROBE = fileURLToPath(new URL('./memory/probe.mjs', import.meta.url));
const counts = (process.argv[2] ?? '1,100,1000').split(',').map(Number);
const rounds = Number(process.argv[3] ?? 1);
const withPeer = process.argv[4] !== 'no';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const builds = (process.env.RSS_BUILDS ?? '=').split(',').map((b) => {
  const [name, dir] = b.split('=');
  const env: Record<string, string> = dir ? { TEZOS_HSM_SIGNER_PREBUILD: dir } : {};
  return { name: name!, env };
});
interface Row {
  server: string;
  keys: number;
  startupMs: number;
  startHwm: number;
  peakHwm: number;
}
const rows: Row[] = [];
const mb = (kb: number) => Number((kb / 1024).toFixed(1));

function status(pid: number): { hwm: number; rss: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(s)![1]);
  return { hwm: mb(kb('VmHWM')), rss: mb(kb('VmRSS')) };
}

/** Resident kB by kind of mapping: file-backed (by file), [heap], [stack], other anonymous. */
function smaps(pid: number): Record<string, number> {
  const by: Record<string, number> = {};
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1]!;
      name = path === '' ? 'anon' : path.startsWith('/') ? `file:${path.split('/').pop()}` : path;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) by[name] = (by[name] ?? 0) + Number(rss[1]);
  }
  const out: Record<string, number> = { anon: by.anon ?? 0, '[heap]': by['[heap]'] ?? 0 };
  let files = 0;
  for (const [k, v] of Object.entries(by)) if (k.startsWith('file:')) files += v;
  out.files = files;
  for (const [k, v] of Object.entries(by)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4))
    if (k.startsWith('file:')) out[k] = v;
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, mb(v)]));
}

async function probe(s: ServerProcess, file: string): Promise<Record<string, unknown>> {
  process.kill(s.pid, 'SIGUSR2');
  await new Promise((r) => setTimeout(r, 200));
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const m = (o: Record<string, number>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, mb(v / 1024)]));
  const spaces = Object.fromEntries(
    Object.entries(p.spaces as Record<string, { size: number }>).map(([k, v]) => [k, mb(v.size / 1024)]),
  );
  return { now: m(p.now), peak: m(p.peak), spaces };
}

let chainBase = 1;
async function measure(name: string, s: ServerProcess, probeFile: string): Promise<void> {
  try {
    const atStart = status(s.pid);
    const mapsStart = smaps(s.pid);
    const pkh = s.keys.find((k) => k.startsWith('tz3'))!;
    for (const clients of [1, 8]) {
      await runLoad({
        url: s.url,
        pkh,
        clients,
        seconds: SECONDS,
        warmupSeconds: 0.5,
        slotsPerClient: 1,
        chainBase,
        levelBase: 1,
      });
      chainBase += clients;
    }
    const after = status(s.pid);
    rows.push({
      server: name,
      keys: s.keys.length,
      startupMs: s.startupMs,
      startHwm: atStart.hwm,
      peakHwm: after.hwm,
    });
    console.log(
      JSON.stringify({
        name,
        keys: s.keys.length,
        startupMs: s.startupMs,
        start: atStart,
        afterLoad: after,
        smapsStart: mapsStart,
        smapsAfter: smaps(s.pid),
        js: await probe(s, probeFile),
      }),
    );
  } finally {
    await s.stop();
  }
}

await buildProduct();
await ensurePkcs11js();
const { token: t, growTo } = await createKeyToken('rss-keys');
try {
  for (const count of counts) {
    await growTo(count);
    for (let round = 0; round < rounds; round++) {
      const probeFile = join(t.dir, 'probe.json');
      const probeEnv = { NODE_OPTIONS: `--import ${PROBE}`, RSS_PROBE_OUT: probeFile };
      for (const b of builds)
        await measure(
          `tezos-hsm-signer${b.name ? ` ${b.name}` : ''}`,
          await startProduct(productConfig(t.dir, `keys${count}`, t, { backend: 'memory' }, 2), t, {
            ...probeEnv,
            ...b.env,
          }),
          probeFile,
        );
      if (withPeer)
        await measure(
          'baseline-pkcs11js',
          await startServer('baseline', ['bench/baseline/server.ts'], {
            ...t.env,
            ...probeEnv,
            BASELINE_LIBRARY: t.library,
            BASELINE_TOKEN: t.tokenLabel,
            BASELINE_SESSIONS: '2',
            HSM_PIN: t.pin,
          }),
          probeFile,
        );
    }
  }
} finally {
  await t.cleanup();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
console.log('| server | keys | runs | start-up ms | VmHWM at readiness MB | peak RSS after the load MB |');
console.log('|---|---|---|---|---|---|');
const groups = new Map<string, Row[]>();
for (const r of rows)
  groups.set(`${r.server}|${r.keys}`, [...(groups.get(`${r.server}|${r.keys}`) ?? []), r]);
for (const [key, rs] of groups) {
  const [server, keys] = key.split('|');
  const col = (f: (r: Row) => number) => median(rs.map(f));
  console.log(
    `| ${server} | ${keys} | ${rs.length} | ${col((r) => r.startupMs)} | ${col((r) => r.startHwm)} | ${col((r) => r.peakHwm)} |`,
  );
}
