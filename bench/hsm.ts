// Raw PKCS#11 (C) vs the addon on the same SoftHSM2 token: signs/s per curve at 1 and 2 threads/sessions,
// the addon/raw ratio, and event-loop lag p99 while the addon is saturated.
// Usage: node --import tsx bench/hsm.ts [SECONDS=2] [REPEAT=3]  (callable as runHsmBench() too)
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Curve } from '../src/hsm/types.js';
import { createToken } from '../test/helpers/softhsm.js';
import { type AddonSignResult, benchAddonSign } from './addon-sign.js';

const run = promisify(execFile);
const RAW_SOURCE = fileURLToPath(new URL('./raw-sign.c', import.meta.url));
const MECHANISM: Record<Curve, string> = { p256: '1041', secp256k1: '1041', ed25519: '1057' };

export interface HsmBenchRow {
  curve: Curve;
  threads: number;
  rawSignsPerSec: number;
  addonSignsPerSec: number;
  ratio: number;
  lagP99Ms: number;
  lagMaxMs: number;
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
    await run('cc', ['-O2', '-o', raw, RAW_SOURCE, '-ldl', '-lpthread']);
    const rows: HsmBenchRow[] = [];
    for (const curve of curves) {
      for (const threads of threadCounts) {
        // The machine is shared: alternate raw and addon runs and keep the best of each.
        let rawBest = 0;
        let addon: AddonSignResult | undefined;
        for (let i = 0; i < repeat; i++) {
          const { stdout } = await run(
            raw,
            [
              token.library,
              token.tokenLabel,
              token.pin,
              `bench-${curve}`,
              MECHANISM[curve],
              `${threads}`,
              `${seconds}`,
            ],
            { env: { ...process.env, ...token.env } },
          );
          rawBest = Math.max(rawBest, (JSON.parse(stdout) as { signsPerSec: number }).signsPerSec);
          const result = await benchAddonSign({
            library: token.library,
            tokenLabel: token.tokenLabel,
            pin: token.pin,
            curve,
            sessions: threads,
            seconds,
          });
          if (!addon || result.signsPerSec > addon.signsPerSec) addon = result;
        }
        if (!addon) throw new Error('repeat must be at least 1');
        const rawResult = { signsPerSec: rawBest };
        rows.push({
          curve,
          threads,
          rawSignsPerSec: Math.round(rawResult.signsPerSec),
          addonSignsPerSec: Math.round(addon.signsPerSec),
          ratio: Number((addon.signsPerSec / rawResult.signsPerSec).toFixed(3)),
          lagP99Ms: Number(addon.lagP99Ms.toFixed(3)),
          lagMaxMs: Number(addon.lagMaxMs.toFixed(3)),
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
  const header = '| curve | threads | raw C signs/s | addon signs/s | addon/raw | lag p99 ms | lag max ms |';
  const lines = rows.map(
    (r) =>
      `| ${r.curve} | ${r.threads} | ${r.rawSignsPerSec} | ${r.addonSignsPerSec} | ${(r.ratio * 100).toFixed(1)}% | ` +
      `${r.lagP99Ms} | ${r.lagMaxMs} |`,
  );
  return [header, '|---|---|---|---|---|---|---|', ...lines].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await runHsmBench({
    seconds: Number(process.argv[2] ?? 2),
    repeat: Number(process.argv[3] ?? 3),
  });
  console.log(formatHsmBench(rows));
  console.log(JSON.stringify(rows));
}
