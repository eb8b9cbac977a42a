// Raw PKCS#11 (C) vs the addon on the same SoftHSM2 token: signs/s per curve at 1 and 2 threads/sessions,
// like for like twice: the addon opened with verifySignatures: false vs raw C_Sign (the HSM-floor target's ratio), and
// the addon as shipped (every signature verified in the worker) vs raw C_Sign + the same check (OpenSSL;
// libsecp256k1 for secp256k1);
// and event-loop lag p99 while the addon is saturated.
// Usage: node --import tsx bench/hsm.ts [SECONDS=2] [REPEAT=3] [CURVES=p256,secp256k1,ed25519]
// (callable as runHsmBench() too)
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Curve } from '../src/hsm/types.js';
import { createToken } from '../test/helpers/softhsm.js';
import { type AddonSignResult, benchAddonSign } from './addon-sign.js';

const run = promisify(execFile);
const RAW_SOURCE = fileURLToPath(new URL('./raw-sign.c', import.meta.url));
const SECP256K1_LIB = fileURLToPath(new URL('../native/secp256k1_lib.c', import.meta.url));
const MECHANISM: Record<Curve, string> = { p256: '1041', secp256k1: '1041', ed25519: '1057' };

export interface HsmBenchRow {
  curve: Curve;
  threads: number;
  rawSignsPerSec: number;
  /** The addon opened with verifySignatures: false: C_Sign and the addon's own machinery, nothing else. */
  addonNoVerifySignsPerSec: number;
  /** addon without verify / raw C_Sign: the HSM-floor target's like-for-like ratio. */
  ratioNoVerify: number;
  /** Raw C_Sign followed by the same OpenSSL check the addon runs on every signature (raw-sign.c verify). */
  rawVerifySignsPerSec: number;
  /** The addon as shipped: every signature verified in the worker (native/verify.cpp). */
  addonSignsPerSec: number;
  /** addon / (raw C_Sign + verify): the shipped addon's overhead over C_Sign and its check. */
  ratioVerify: number;
  /** Event-loop lag while saturated, the worse of the two addon runs kept. */
  lagP99Ms: number;
  lagMaxMs: number;
  /** CPU time per signature (every thread, least over the repeats), µs: raw C, the addon without and
   * with verify, its JS thread (with verify). */
  rawCpuMicros: number;
  addonNoVerifyCpuMicros: number;
  addonCpuMicros: number;
  addonJsMicros: number;
  /** One sign in flight (addon with verify): p50 round trip in µs (least over the repeats), default and
   * with signAhead. */
  loneP50Us: number;
  loneP50AheadUs: number;
}

export async function runHsmBench(
  opts: { seconds?: number; curves?: Curve[]; threads?: number[]; repeat?: number } = {},
) {
  const seconds = opts.seconds ?? 3;
  const repeat = opts.repeat ?? 3;
  const curves = opts.curves ?? ['p256', 'secp256k1', 'ed25519'];
  const threadCounts = opts.threads ?? [1, 2];
  const token = await createToken({
    label: 'bench',
    keys: curves.map((curve, i) => ({ curve, label: `bench-${curve}`, id: `b${i}` })),
  });
  const previousConf = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = token.conf;
  try {
    const raw = join(token.dir, 'raw-sign');
    // secp256k1 is checked with libsecp256k1 built as the addon builds it (CMakeLists.txt, native/secp256k1_lib.c).
    const secp = join(
      dirname(createRequire(import.meta.url).resolve('secp256k1/package.json')),
      'src',
      'secp256k1',
    );
    await run('cc', [
      '-O3',
      '-o',
      raw,
      `-I${secp}`,
      `-I${secp}/src`,
      `-I${secp}/include`,
      RAW_SOURCE,
      SECP256K1_LIB,
      '-ldl',
      '-lpthread',
    ]);
    const rows: HsmBenchRow[] = [];
    for (const curve of curves) {
      for (const threads of threadCounts) {
        // The machine is shared: alternate raw and addon runs and keep the best of each.
        let rawBest = 0;
        let rawVerifyBest = 0;
        let rawCpu = Number.POSITIVE_INFINITY;
        let addonCpu = Number.POSITIVE_INFINITY;
        let addonJs = Number.POSITIVE_INFINITY;
        let addon: AddonSignResult | undefined;
        let bare: AddonSignResult | undefined;
        let bareCpu = Number.POSITIVE_INFINITY;
        let lone = Number.POSITIVE_INFINITY;
        let loneAhead = Number.POSITIVE_INFINITY;
        for (let i = 0; i < repeat; i++) {
          const rawSign = async (verify: boolean) => {
            const args = [token.library, token.tokenLabel, token.pin, `bench-${curve}`, MECHANISM[curve]];
            args.push(`${threads}`, `${seconds}`, ...(verify ? ['verify'] : []));
            const { stdout } = await run(raw, args, { env: { ...process.env, ...token.env } });
            return JSON.parse(stdout) as { signsPerSec: number; cpuMicrosPerSign: number };
          };
          const rawRun = await rawSign(false);
          rawVerifyBest = Math.max(rawVerifyBest, (await rawSign(true)).signsPerSec);
          rawBest = Math.max(rawBest, rawRun.signsPerSec);
          rawCpu = Math.min(rawCpu, rawRun.cpuMicrosPerSign);
          const common = {
            library: token.library,
            tokenLabel: token.tokenLabel,
            pin: token.pin,
            curve,
            seconds,
          };
          const unchecked = await benchAddonSign({ ...common, sessions: threads, verifySignatures: false });
          if (!bare || unchecked.signsPerSec > bare.signsPerSec) bare = unchecked;
          bareCpu = Math.min(bareCpu, unchecked.cpuMicrosPerSign);
          const result = await benchAddonSign({ ...common, sessions: threads });
          if (!addon || result.signsPerSec > addon.signsPerSec) addon = result;
          addonCpu = Math.min(addonCpu, result.cpuMicrosPerSign);
          addonJs = Math.min(addonJs, result.jsMicrosPerSign);
          for (const signAhead of [false, true]) {
            const { latencyP50Us } = await benchAddonSign({
              ...common,
              sessions: threads,
              inflight: 1,
              signAhead,
            });
            if (signAhead) loneAhead = Math.min(loneAhead, latencyP50Us);
            else lone = Math.min(lone, latencyP50Us);
          }
        }
        if (!addon || !bare) throw new Error('repeat must be at least 1');
        rows.push({
          curve,
          threads,
          rawSignsPerSec: Math.round(rawBest),
          addonNoVerifySignsPerSec: Math.round(bare.signsPerSec),
          ratioNoVerify: Number((bare.signsPerSec / rawBest).toFixed(3)),
          rawVerifySignsPerSec: Math.round(rawVerifyBest),
          addonSignsPerSec: Math.round(addon.signsPerSec),
          ratioVerify: Number((addon.signsPerSec / rawVerifyBest).toFixed(3)),
          lagP99Ms: Number(Math.max(addon.lagP99Ms, bare.lagP99Ms).toFixed(3)),
          lagMaxMs: Number(Math.max(addon.lagMaxMs, bare.lagMaxMs).toFixed(3)),
          rawCpuMicros: Number(rawCpu.toFixed(1)),
          addonNoVerifyCpuMicros: Number(bareCpu.toFixed(1)),
          addonCpuMicros: Number(addonCpu.toFixed(1)),
          addonJsMicros: Number(addonJs.toFixed(1)),
          loneP50Us: Number(lone.toFixed(1)),
          loneP50AheadUs: Number(loneAhead.toFixed(1)),
        });
      }
    }
    return rows;
  } finally {
    if (previousConf === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = previousConf;
    await token.cleanup();
  }
}

export function formatHsmBench(rows: HsmBenchRow[]): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const header =
    '| curve | threads | raw C signs/s | addon, no verify signs/s | no verify/raw | ' +
    'raw C + verify signs/s | addon (verifies) signs/s | addon/(raw + verify) | lag p99 ms | lag max ms | ' +
    'CPU µs/sign raw | CPU µs/sign addon, no verify | CPU µs/sign addon (JS thread) | ' +
    '1 in flight p50 µs (signAhead) |';
  const lines = rows.map(
    (r) =>
      `| ${r.curve} | ${r.threads} | ${r.rawSignsPerSec} | ${r.addonNoVerifySignsPerSec} | ` +
      `${pct(r.ratioNoVerify)} | ${r.rawVerifySignsPerSec} | ${r.addonSignsPerSec} | ${pct(r.ratioVerify)} | ` +
      `${r.lagP99Ms} | ${r.lagMaxMs} | ${r.rawCpuMicros} | ${r.addonNoVerifyCpuMicros} | ` +
      `${r.addonCpuMicros} (${r.addonJsMicros}) | ${r.loneP50Us} (${r.loneP50AheadUs}) |`,
  );
  return [header, `|${'---|'.repeat(14)}`, ...lines].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await runHsmBench({
    seconds: Number(process.argv[2] ?? 2),
    repeat: Number(process.argv[3] ?? 3),
    curves: process.argv[4]?.split(',') as Curve[] | undefined,
  });
  console.log(formatHsmBench(rows));
  console.log(JSON.stringify(rows));
}
