// The token's keys as the signer uses them, resolved once at start: Tezos pkh and public key, and a
// verifier built once per key (no per-request key material allocation) unless the device verifies.

import type { BlsSigning } from '../bls/sign-thread.js';
import type { HsmKey } from '../hsm/types.js';
import type { Curve } from '../tezos/curve.js';
import { publicKeyFromPoint } from '../tezos/keys.js';
import { makeVerifier, type Verifier } from '../crypto/verifier.js';

/** A key on the token, signed with by the HSM. */
export interface HsmSignerKey {
  readonly pkh: string;
  /** edpk…/sppk…/p2pk… */
  readonly publicKey: string;
  readonly curve: Curve;
  readonly label: string;
  readonly id: string;
  /** The HSM's handle for sign(). */
  readonly hsmKey: HsmKey;
  /** null when the device verifies every signature itself (Hsm.verifiesSignatures). */
  readonly verify: Verifier | null;
}

/** A tz4 key unsealed into process memory (src/bls/, docs/tz4.md): no PKCS#11 HSM signs BLS. */
export interface BlsSignerKey {
  readonly pkh: string;
  /** BLpk… */
  readonly publicKey: string;
  readonly curve: 'bls12-381';
  /** The sealed file's key_label. */
  readonly label: string;
  /** No PKCS#11 object: always ''. */
  readonly id: '';
  readonly bls: BlsSigning;
}

export type SignerKey = HsmSignerKey | BlsSignerKey;

/**
 * Resolves HSM keys; the same key twice on the token is an error (ambiguous object: which one would sign?).
 * `deviceVerifies`: the device checks each signature before returning it, so no JS verifier is built.
 */
export function buildKeyring(keys: readonly HsmKey[], deviceVerifies = false): Map<string, SignerKey> {
  const out = new Map<string, SignerKey>();
  for (const k of keys) {
    const { publicKey, pkh, compressed } = publicKeyFromPoint(k.curve, k.publicKey);
    const prev = out.get(pkh);
    if (prev !== undefined) {
      throw new Error(`key ${pkh} appears twice on the token (labels '${prev.label}' and '${k.label}')`);
    }
    out.set(pkh, {
      pkh,
      publicKey,
      curve: k.curve,
      label: k.label,
      id: k.id,
      hsmKey: k,
      verify: deviceVerifies ? null : makeVerifier(k.curve, compressed),
    });
  }
  return out;
}

/** Adds unsealed tz4 keys to a keyring; a pkh already present is an error. */
export function addBlsKeys(keyring: Map<string, SignerKey>, keys: readonly BlsSigning[]): void {
  for (const bls of keys) {
    if (keyring.has(bls.pkh)) throw new Error(`key ${bls.pkh} is sealed twice`);
    keyring.set(bls.pkh, {
      pkh: bls.pkh,
      publicKey: bls.publicKey,
      curve: 'bls12-381',
      label: bls.label,
      id: '',
      bls,
    });
  }
}
