// Independent signature checks for tests (@noble/curves), so no test trusts the HSM's own verify.
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { HsmKey } from '../../src/hsm/types.js';

/** ECDSA: raw r||s over a 32-byte digest (high S accepted: the HSM does not normalise). */
export function verifySignature(key: HsmKey, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  switch (key.curve) {
    case 'ed25519':
      return ed25519.verify(signature, data, key.publicKey);
    case 'secp256k1':
      return secp256k1.verify(signature, data, key.publicKey, { prehash: false, lowS: false });
    case 'p256':
      return p256.verify(signature, data, key.publicKey, { prehash: false, lowS: false });
  }
}
