// The keys the signer serves, resolved once at start, each a SigningKey: Tezos pkh and public key, and how
// it signs. HSM keys sign BLAKE2b-256(msg) on the token and are verified here (a verifier built once per
// key, no per-request key material) unless the device verifies; tz4 keys sign msg in the signing thread.

import type { BlsSigning } from '../bls/sign-thread.js';
import { makeVerifier, type Verifier } from '../crypto/verifier.js';
import type { HsmKey } from '../hsm/types.js';
import type { Curve } from '../tezos/curve.js';
import { publicKeyFromPoint } from '../tezos/keys.js';
import { encodeSignature } from '../tezos/signatures.js';
import type { SigningDevice } from './device.js';
import { HsmFaultError } from './errors.js';

/** A key the signer serves, whatever signs with it. */
export interface SigningKey {
  readonly pkh: string;
  /** edpk…/sppk…/p2pk…/BLpk… */
  readonly publicKey: string;
  readonly curve: Curve | 'bls12-381';
  readonly label: string;
  /** The PKCS#11 object's CKA_ID; '' for keys that are no PKCS#11 object. */
  readonly id: string;
  /**
   * The encoded signature of a request: `msg` whole (magic byte included), `digest` its BLAKE2b-256;
   * `deadline` (performance.now() ms) bounds the wait for the device.
   */
  sign(msg: Uint8Array, digest: Uint8Array, deadline?: number): Promise<string>;
  /** tz4 only: the proof of possession of the key (or of `overridePk`). */
  provePossession?(overridePk?: Uint8Array): Promise<string>;
}

/** A key on the token, signed with by the HSM. */
export interface HsmSignerKey extends SigningKey {
  readonly curve: Curve;
  /** The HSM's handle for sign(). */
  readonly hsmKey: HsmKey;
  /** null when the device verifies every signature itself (Hsm.verifiesSignatures). */
  readonly verify: Verifier | null;
}

export type SignerKey = SigningKey;

/**
 * Resolves HSM keys; the same key twice on the token is an error (ambiguous object: which one would sign?).
 * When the device checks each signature before returning it (verifiesSignatures), no JS verifier is built.
 */
export function buildKeyring(
  keys: readonly HsmKey[],
  device: Pick<SigningDevice, 'sign' | 'verifiesSignatures'>,
): Map<string, HsmSignerKey> {
  const out = new Map<string, HsmSignerKey>();
  for (const k of keys) {
    const { publicKey, pkh, compressed } = publicKeyFromPoint(k.curve, k.publicKey);
    const prev = out.get(pkh);
    if (prev !== undefined) {
      throw new Error(`key ${pkh} appears twice on the token (labels '${prev.label}' and '${k.label}')`);
    }
    const verify = device.verifiesSignatures === true ? null : makeVerifier(k.curve, compressed);
    out.set(pkh, {
      pkh,
      publicKey,
      curve: k.curve,
      label: k.label,
      id: k.id,
      hsmKey: k,
      verify,
      sign: (_msg, digest, deadline) => signOnToken(device, k, pkh, verify, digest, deadline),
    });
  }
  return out;
}

async function signOnToken(
  device: Pick<SigningDevice, 'sign'>,
  key: HsmKey,
  pkh: string,
  verify: Verifier | null,
  digest: Uint8Array,
  deadline: number | undefined,
): Promise<string> {
  const raw = await device.sign(key, digest, deadline);
  if (verify !== null && !verify(digest, raw)) {
    throw new HsmFaultError(`the HSM returned a signature that does not verify under ${pkh}`);
  }
  return encodeSignature(key.curve, raw);
}

/** Adds unsealed tz4 keys (src/bls/, docs/tz4.md: no PKCS#11 HSM signs BLS); a pkh already present is an error. */
export function addBlsKeys(keyring: Map<string, SigningKey>, keys: readonly BlsSigning[]): void {
  for (const bls of keys) {
    if (keyring.has(bls.pkh)) throw new Error(`key ${bls.pkh} is sealed twice`);
    keyring.set(bls.pkh, {
      pkh: bls.pkh,
      publicKey: bls.publicKey,
      curve: 'bls12-381',
      label: bls.label,
      id: '',
      sign: async (msg) => bls.sign(msg),
      provePossession: async (overridePk) => bls.provePossession(overridePk),
    });
  }
}
