// What `hsm check` finds on the token a config names: the curves it can sign (each tried with a key pair
// made for the probe as session objects, timed), tz4 sealing, session limits, and every private key with
// its pkh and why the signer cannot use it. Keys listed under `tezos` that cannot sign are the problems
// that make the command fail.
import { blsKeyDir, readSealedDir } from '../bls/key-dir.js';
import type { Config } from '../config/types.js';
import type { Hsm } from '../hsm/hsm.js';
import type { Curve, SealMechanism } from '../hsm/types.js';
import { publicKeyFromPoint } from '../tezos/keys.js';

/** Signatures timed per curve: enough for a p50 / p99, a fraction of a second on a slow token. */
export const PROBE_SIGNS = 20;

const CURVES: readonly { curve: Curve; prefix: string }[] = [
  { curve: 'ed25519', prefix: 'tz1' },
  { curve: 'secp256k1', prefix: 'tz2' },
  { curve: 'p256', prefix: 'tz3' },
];

export interface CurveReport {
  curve: Curve;
  prefix: string;
  /** The token made a session key pair of the curve and signed with it. */
  signs: boolean;
  /** Why not, when it does not. */
  error: string | null;
  /** µs per C_SignInit + C_Sign. */
  latency: { p50: number; p99: number; max: number; n: number } | null;
  /** The token refused session keys: the probe's pair was a token object, destroyed after. */
  probeOnToken: boolean;
}

export interface KeyReport {
  pkh: string | null;
  curve: string | null;
  label: string;
  id: string;
  usable: boolean;
  reason: string | null;
  /** Listed under `tezos` in the config. */
  configured: boolean;
}

export interface SessionReport {
  /** hsm.sessions */
  configured: number;
  /** Worker sessions the pool opened (plus one login session). */
  opened: number;
  note: string | null;
}

export interface HsmCheckReport {
  library: string;
  curves: CurveReport[];
  tz4: { mechanism: SealMechanism | null; error: string | null };
  sessions: SessionReport;
  keys: KeyReport[];
  /** One line per key listed under `tezos` that cannot sign: the command's exit status. */
  problems: string[];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function probeCurve(hsm: Hsm, curve: Curve, prefix: string): Promise<CurveReport> {
  try {
    const probe = await hsm.probeSignLatency(curve, PROBE_SIGNS);
    const samples = probe.micros.sort((a, b) => a - b);
    const latency = {
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      max: samples[samples.length - 1]!,
      n: samples.length,
    };
    return { curve, prefix, signs: true, error: null, latency, probeOnToken: probe.onToken };
  } catch (err) {
    return { curve, prefix, signs: false, error: (err as Error).message, latency: null, probeOnToken: false };
  }
}

async function keyReports(hsm: Hsm, config: Config): Promise<KeyReport[]> {
  const listed = config.tezos ?? new Map();
  const out: KeyReport[] = [];
  for (const k of await hsm.inventory()) {
    const pkh = k.curve && k.publicKey ? publicKeyFromPoint(k.curve, k.publicKey).pkh : null;
    out.push({
      pkh,
      curve: k.curve,
      label: k.label,
      id: k.id,
      usable: k.usable,
      reason: k.reason,
      configured: pkh !== null && listed.has(pkh),
    });
  }
  // tz4 keys live sealed beside the config, not on the token (docs/tz4.md).
  for (const { sealed } of await readSealedDir(blsKeyDir(config.file))) {
    out.push({
      pkh: sealed.pkh,
      curve: 'bls12-381',
      label: sealed.keyLabel,
      id: '',
      usable: true,
      reason: null,
      configured: listed.has(sealed.pkh),
    });
  }
  return out;
}

export async function buildHsmCheckReport(hsm: Hsm, config: Config): Promise<HsmCheckReport> {
  const curves: CurveReport[] = [];
  for (const { curve, prefix } of CURVES) curves.push(await probeCurve(hsm, curve, prefix));
  let tz4: HsmCheckReport['tz4'];
  try {
    tz4 = { mechanism: await hsm.sealMechanism(), error: null };
  } catch (err) {
    tz4 = { mechanism: null, error: (err as Error).message };
  }
  const keys = await keyReports(hsm, config);
  // A key whose curve the token cannot sign with is listed, but every signature would fail.
  for (const k of keys) {
    const c = curves.find((r) => r.curve === k.curve);
    if (k.usable && c !== undefined && !c.signs) {
      k.usable = false;
      k.reason = `the token cannot sign with ${k.curve}: ${c.error}`;
    }
  }
  const problems: string[] = [];
  for (const pkh of config.tezos?.keys() ?? []) {
    const k = keys.find((r) => r.pkh === pkh);
    if (k === undefined) problems.push(`${pkh}: listed under tezos but not on the token`);
    else if (!k.usable) problems.push(`${pkh}: listed under tezos but not usable: ${k.reason}`);
  }
  const opened = hsm.stats().sessions;
  const sessions: SessionReport = {
    configured: config.hsm.sessions,
    opened,
    note:
      opened < config.hsm.sessions
        ? `the token's session limit allows ${opened} worker sessions, not the ${config.hsm.sessions} of hsm.sessions`
        : null,
  };
  return { library: config.hsm.library, curves, tz4, sessions, keys, problems };
}
