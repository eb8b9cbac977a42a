// What the token offers (C_GetMechanismList / C_GetMechanismInfo) and says about itself
// (C_GetTokenInfo), as plain data: the signer refuses keys whose signing mechanism is missing, and
// diagnostics print the rest. Values from pkcs11t.h (PKCS#11 v2.40 §2.1, v3.0 §6).
import { CKM_ECDSA, CKM_EDDSA } from './native.js';
import type { Curve, NativeMechanism } from './types.js';

export type { TokenInfo } from './types.js';

/** CKF_ flags of CK_MECHANISM_INFO, by the name the flags object uses. */
const MECHANISM_FLAGS = {
  hw: 0x1,
  encrypt: 0x100,
  decrypt: 0x200,
  digest: 0x400,
  sign: 0x800,
  signRecover: 0x1000,
  verify: 0x2000,
  verifyRecover: 0x4000,
  generate: 0x8000,
  generateKeyPair: 0x10000,
  wrap: 0x20000,
  unwrap: 0x40000,
  derive: 0x80000,
} as const;

export type MechanismFlag = keyof typeof MECHANISM_FLAGS;

/** The mechanisms the signer and its diagnostics care about (pkcs11t.h values); others print as hex. */
export const CKM = {
  CKM_EC_KEY_PAIR_GEN: 0x1040,
  CKM_ECDSA,
  CKM_ECDSA_SHA1: 0x1042,
  CKM_ECDSA_SHA256: 0x1044,
  CKM_EC_EDWARDS_KEY_PAIR_GEN: 0x1055,
  CKM_EDDSA,
  CKM_AES_KEY_GEN: 0x1080,
  CKM_AES_CBC_PAD: 0x1085,
  CKM_AES_GCM: 0x1087,
  CKM_SHA256: 0x250,
  CKM_SHA256_HMAC: 0x251,
  CKM_GENERIC_SECRET_KEY_GEN: 0x350,
} as const;

export type MechanismName = keyof typeof CKM;

const MECHANISM_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(CKM).map(([name, type]) => [type, name]),
);

export function mechanismName(type: number): string {
  return MECHANISM_NAMES.get(type) ?? `0x${type.toString(16).padStart(8, '0')}`;
}

/** The mechanism each curve signs with (src/hsm/hsm.ts passes it to C_SignInit). */
export const SIGN_MECHANISMS: Readonly<Record<Curve, { type: number; name: MechanismName }>> = {
  ed25519: { type: CKM.CKM_EDDSA, name: 'CKM_EDDSA' },
  secp256k1: { type: CKM.CKM_ECDSA, name: 'CKM_ECDSA' },
  p256: { type: CKM.CKM_ECDSA, name: 'CKM_ECDSA' },
};

export interface MechanismInfo {
  type: number;
  /** 'CKM_…' for known mechanisms, else the hex value. */
  name: string;
  /** ulMinKeySize / ulMaxKeySize as the token reports them (bits for EC, per mechanism otherwise). */
  minKeySize: number;
  maxKeySize: number;
  /** The raw CKF_ flags and their decoding. */
  rawFlags: number;
  flags: Record<MechanismFlag, boolean>;
}

export function toMechanismInfo(m: NativeMechanism): MechanismInfo {
  const flags = Object.fromEntries(
    Object.entries(MECHANISM_FLAGS).map(([name, bit]) => [name, (m.flags & bit) !== 0]),
  ) as Record<MechanismFlag, boolean>;
  return {
    type: m.type,
    name: mechanismName(m.type),
    minKeySize: m.minKeySize,
    maxKeySize: m.maxKeySize,
    rawFlags: m.flags,
    flags,
  };
}

/** The curves whose signing mechanism the token lists with CKF_SIGN. */
export function signableCurves(mechanisms: readonly MechanismInfo[]): Set<Curve> {
  const signing = new Set(mechanisms.filter((m) => m.flags.sign).map((m) => m.type));
  return new Set(
    (Object.keys(SIGN_MECHANISMS) as Curve[]).filter((c) => signing.has(SIGN_MECHANISMS[c].type)),
  );
}
