// `hsm check --config FILE [--json]`: a doctor for operators (hsm-check-report.ts gathers, this prints).
// Exit 1 when a key listed under `tezos` cannot sign, 0 otherwise.
import { loadConfig } from '../config/load.js';
import { parseVerbArgs, requireConfig } from './args.js';
import { buildHsmCheckReport, type HsmCheckReport } from './hsm-check-report.js';
import { openHsm } from './open-hsm.js';

const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
const limit = (n: number | null) => (n === null ? 'not given' : n === 0 ? 'no limit' : String(n));

function tokenLines(r: HsmCheckReport): string[] {
  const t = r.token;
  return [
    `library   ${r.library}`,
    `token     slot ${t.slot}  label "${t.label}"  serial "${t.serial}"  ${t.manufacturer} / ${t.model}` +
      `  hw ${t.hardwareVersion} fw ${t.firmwareVersion}`,
  ];
}

function mechanismLines(r: HsmCheckReport): string[] {
  const lines = [`mechanisms (${r.mechanismCount} listed; those the signer uses)`];
  for (const m of r.mechanisms) {
    const state = m.offered
      ? 'yes'
      : m.listed
        ? `no (listed without ${m.lacking.join(', ')})`
        : 'no (not listed)';
    lines.push(`  ${m.name.padEnd(28)} ${state.padEnd(32)} ${m.for}`);
  }
  return lines;
}

function curveLines(r: HsmCheckReport): string[] {
  const lines = ['curves (a key pair made for the probe, signed with and destroyed)'];
  for (const c of r.curves) {
    const what = c.latency
      ? `signs   C_SignInit + C_Sign p50 ${ms(c.latency.p50)}  p99 ${ms(c.latency.p99)}  max ${ms(c.latency.max)}` +
        `  (n=${c.latency.n})`
      : `no      ${c.error}`;
    const where = c.probeOnToken
      ? '  (the token refuses session keys: probe key made on it, then destroyed)'
      : '';
    lines.push(`  ${c.curve.padEnd(9)} ${c.prefix}  ${what}${where}`);
  }
  return lines;
}

function keyLines(r: HsmCheckReport): string[] {
  const lines = [`keys (${r.keys.length})`];
  for (const k of r.keys) {
    const state = k.usable ? 'usable' : `NOT USABLE: ${k.reason}`;
    const tag = k.configured ? ' [tezos]' : '';
    lines.push(`  ${k.pkh ?? '-'}  ${k.curve ?? '-'}  label=${k.label} id=${k.id}${tag}  ${state}`);
  }
  if (r.keys.every((k) => !k.usable)) lines.push('  no usable key');
  return lines;
}

export function formatHsmCheck(r: HsmCheckReport): string {
  const s = r.sessions;
  const sessions =
    `sessions  hsm.sessions ${s.configured}; token max ${limit(s.maxSessionCount)}, ` +
    `max read/write ${limit(s.maxRwSessionCount)}; opened ${s.opened} (+1 for login)${s.note ? `: ${s.note}` : ''}`;
  const sections = [
    tokenLines(r),
    mechanismLines(r),
    curveLines(r),
    [`tz4 sealing  ${r.tz4.mechanism ?? `no: ${r.tz4.error}`}`],
    [sessions],
    keyLines(r),
  ];
  if (r.problems.length > 0) sections.push(['problems', ...r.problems.map((p) => `  ${p}`)]);
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
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
