// `hsm check --config FILE [--json]`: a doctor for operators (hsm-check-report.ts gathers, this prints).
// Exit 1 when a key listed under `tezos` cannot sign, 0 otherwise.
import { loadConfig } from '../config/load.js';
import { parseVerbArgs, requireConfig } from './args.js';
import { type HsmCheckReport, buildHsmCheckReport } from './hsm-check-report.js';
import { openHsm } from './open-hsm.js';

const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;

export function formatHsmCheck(r: HsmCheckReport): string {
  const lines = [
    `library   ${r.library}`,
    '',
    'curves (a key pair made for the probe, signed with and destroyed)',
  ];
  for (const c of r.curves) {
    const what = c.latency
      ? `signs   C_SignInit + C_Sign p50 ${ms(c.latency.p50)}  p99 ${ms(c.latency.p99)}  max ${ms(c.latency.max)}  (n=${c.latency.n})`
      : `no      ${c.error}`;
    const where = c.probeOnToken
      ? '  (the token refuses session keys: probe key made on it, then destroyed)'
      : '';
    lines.push(`  ${c.curve.padEnd(9)} ${c.prefix}  ${what}${where}`);
  }
  lines.push('', `tz4 sealing  ${r.tz4.mechanism ?? `no: ${r.tz4.error}`}`);
  const s = r.sessions;
  lines.push(
    '',
    `sessions  hsm.sessions ${s.configured}, opened ${s.opened} (+1 for login)${s.note ? `: ${s.note}` : ''}`,
  );
  lines.push('', `keys (${r.keys.length})`);
  for (const k of r.keys) {
    const state = k.usable ? 'usable' : `NOT USABLE: ${k.reason}`;
    const tag = k.configured ? ' [tezos]' : '';
    lines.push(`  ${k.pkh ?? '-'}  ${k.curve ?? '-'}  label=${k.label} id=${k.id}${tag}  ${state}`);
  }
  if (r.keys.every((k) => !k.usable)) lines.push('  no usable key');
  if (r.problems.length > 0) lines.push('', 'problems', ...r.problems.map((p) => `  ${p}`));
  return `${lines.join('\n')}\n`;
}

export async function hsmCheck(argv: string[]): Promise<number> {
  const values = parseVerbArgs(argv, { config: { type: 'string' }, json: { type: 'boolean' } });
  const config = await loadConfig(requireConfig(values));
  const hsm = await openHsm(config);
  let report: HsmCheckReport;
  try {
    report = await buildHsmCheckReport(hsm, config);
  } finally {
    await hsm.close();
  }
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatHsmCheck(report));
  return report.problems.length > 0 ? 1 : 0;
}
