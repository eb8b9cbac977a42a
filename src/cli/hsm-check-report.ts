// What `hsm check` finds on the token a config names: the curves it can sign (each tried with a key pair
// made for the probe as session objects, timed), tz4 sealing, session limits, and every private key with
// its pkh and why the signer cannot use it. Keys listed under `tezos` that cannot sign are the problems
// that make the command fail.
import { blsKeyDir, readSealedDir } from '../bls/key-dir.js';
import type { Config } from '../config/types.js';
import { Pkcs11Error } from '../hsm/errors.js';
import type { Hsm } from '../hsm/hsm.js';
import {
  CKM,
  type MechanismFlag,
  type MechanismInfo,
  type MechanismName,
  SIGN_MECHANISMS,
  type TokenInfo,
} from '../hsm/mechanisms.js';
import type { SealMechanism } from '../hsm/types.js';
import type { Curve } from '../tezos/curve.js';
import { publicKeyFromPoint } from '../tezos/keys.js';

/** Signatures timed per curve: enough for a p50 / p99, a fraction of a second on a slow token. */
export const PROBE_SIGNS = 20;

const CURVES: readonly { curve: Curve; prefix: string }[] = [
  { curve: 'ed25519', prefix: 'tz1' },
  { curve: 'secp256k1', prefix: 'tz2' },
  { curve: 'p256', prefix: 'tz3' },
];

/** The mechanisms the signer uses, with the flags each needs (docs/tz4.md for the sealing ones). */
const MECHANISMS_THAT_MATTER: readonly { name: MechanismName; needs: MechanismFlag[]; for: string }[] = [
  { name: 'CKM_ECDSA', needs: ['sign'], for: 'tz2, tz3 signatures' },
  { name: 'CKM_EDDSA', needs: ['sign'], for: 'tz1 signatures' },
  { name: 'CKM_EC_KEY_PAIR_GEN', needs: ['generateKeyPair'], for: 'keys generate tz2, tz3' },
  { name: 'CKM_EC_EDWARDS_KEY_PAIR_GEN', needs: ['generateKeyPair'], for: 'keys generate tz1' },
  { name: 'CKM_AES_KEY_GEN', needs: ['generate'], for: 'tz4 sealing key' },
  { name: 'CKM_AES_GCM', needs: ['encrypt', 'decrypt'], for: 'tz4 sealing (aes-gcm)' },
  { name: 'CKM_AES_CBC_PAD', needs: ['encrypt', 'decrypt'], for: 'tz4 sealing (aes-cbc-hmac)' },
  { name: 'CKM_SHA256_HMAC', needs: ['sign', 'verify'], for: 'tz4 sealing (aes-cbc-hmac)' },
  { name: 'CKM_GENERIC_SECRET_KEY_GEN', needs: ['generate'], for: 'tz4 sealing (aes-cbc-hmac)' },
];

export interface MechanismReport {
  name: string;
  for: string;
  /** In C_GetMechanismList. */
  listed: boolean;
  /** Listed with every flag it needs. */
  offered: boolean;
  /** The flags it needs that the token does not give it (all of them when not listed). */
  lacking: MechanismFlag[];
}

export interface CurveReport {
  curve: Curve;
  prefix: string;
  /** The token lists the curve's signing mechanism with CKF_SIGN. */
  listed: boolean;
  /** A key pair of the curve made for the probe signed. */
  signs: boolean;
  /** Why not, when it does not, and the PKCS#11 function that failed. */
  error: string | null;
  failedAt: string | null;
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
  /** ulMaxSessionCount / ulMaxRwSessionCount: 0 no limit, null not said. */
  maxSessionCount: number | null;
  maxRwSessionCount: number | null;
  /** Worker sessions the pool opened (plus one login session). */
  opened: number;
  note: string | null;
}

export interface HsmCheckReport {
  library: string;
  token: Omit<TokenInfo, 'slot'> & { slot: string };
  /** How many mechanisms the token lists, and the ones the signer uses. */
  mechanismCount: number;
  mechanisms: MechanismReport[];
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

function mechanismReports(all: readonly MechanismInfo[]): MechanismReport[] {
  return MECHANISMS_THAT_MATTER.map((m) => {
    const info = all.find((l) => l.type === CKM[m.name]);
    const lacking = info ? m.needs.filter((f) => !info.flags[f]) : m.needs;
    const listed = info !== undefined;
    return { name: m.name, for: m.for, listed, offered: listed && lacking.length === 0, lacking };
  });
}

async function probeCurve(hsm: Hsm, curve: Curve, prefix: string, listed: boolean): Promise<CurveReport> {
  try {
    const probe = await hsm.probeSignLatency(curve, PROBE_SIGNS);
    const samples = probe.micros.sort((a, b) => a - b);
    const latency = {
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      max: samples[samples.length - 1]!,
      n: samples.length,
    };
    return {
      curve,
      prefix,
      listed,
      signs: true,
      error: null,
      failedAt: null,
      latency,
      probeOnToken: probe.onToken,
    };
  } catch (err) {
    const error = (err as Error).message;
    const failedAt = err instanceof Pkcs11Error ? err.fn : null;
    return { curve, prefix, listed, signs: false, error, failedAt, latency: null, probeOnToken: false };
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
  const info = await hsm.tokenInfo();
  const listed = await hsm.mechanisms();
  const signable = new Set(listed.filter((m) => m.flags.sign).map((m) => m.type));
  const curves: CurveReport[] = [];
  for (const { curve, prefix } of CURVES) {
    curves.push(await probeCurve(hsm, curve, prefix, signable.has(SIGN_MECHANISMS[curve].type)));
  }
  let tz4: HsmCheckReport['tz4'];
  try {
    tz4 = { mechanism: await hsm.sealMechanism(), error: null };
  } catch (err) {
    tz4 = { mechanism: null, error: (err as Error).message };
  }
  const keys = await keyReports(hsm, config);
  // A key is only as usable as its curve's signing mechanism: listed, and signing with the probe's key
  // when the token could make one (a token may sign a curve it cannot generate: imported keys).
  for (const k of keys) {
    const c = curves.find((r) => r.curve === k.curve);
    if (!k.usable || c === undefined) continue;
    if (!c.listed) {
      k.usable = false;
      k.reason = `the token does not list ${SIGN_MECHANISMS[c.curve].name} for signing`;
    } else if (!c.signs && c.failedAt !== 'C_GenerateKeyPair') {
      k.usable = false;
      k.reason = `a ${c.curve} key made for the probe could not sign: ${c.error}`;
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
    maxSessionCount: info.maxSessionCount,
    maxRwSessionCount: info.maxRwSessionCount,
    opened,
    note:
      opened < config.hsm.sessions
        ? `the token's session limit allows ${opened} worker sessions, not the ${config.hsm.sessions} of hsm.sessions`
        : null,
  };
  return {
    library: config.hsm.library,
    token: { ...info, slot: info.slot.toString() },
    mechanismCount: listed.length,
    mechanisms: mechanismReports(listed),
    curves,
    tz4,
    sessions,
    keys,
    problems,
  };
}
