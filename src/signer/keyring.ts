// The token's keys as the signer uses them, resolved once at start: Tezos pkh and public key, and a
// verifier built once per key (no per-request key material allocation).

import type { Curve, HsmKey } from '../hsm/types.js';
import { publicKeyFromPoint } from '../tezos/keys.js';
import { makeVerifier, type Verifier } from './verifier.js';

export interface SignerKey {
  readonly pkh: string;
  /** edpk…/sppk…/p2pk… */
  readonly publicKey: string;
  readonly curve: Curve;
  readonly label: string;
  readonly id: string;
  /** The HSM's handle for sign(). */
  readonly hsmKey: HsmKey;
  readonly verify: Verifier;
}

/** Resolves HSM keys; the same key twice on the token is an error (ambiguous object, DESIGN.md §6). */
export function buildKeyring(keys: readonly HsmKey[]): Map<string, SignerKey> {
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
      verify: makeVerifier(k.curve, compressed),
    });
  }
  return out;
}
