// A real signer for watermark tests: secp256k1 ECDSA with a random nonce (extraEntropy), so signing the
// same bytes twice gives two DIFFERENT signatures. That makes "one signature value everywhere" a real
// check that the store never re-signs. The HSM itself is tested elsewhere (test/*-hsm*).

import { secp256k1 } from '@noble/curves/secp256k1.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

export interface TestSigner {
  secretKeyHex: string;
  /** Signs the 32-byte request hash (hex); returns the 64-byte compact signature as hex. */
  sign(hashHex: string): string;
  verify(signatureHex: string, hashHex: string): boolean;
}

export function testSigner(secretKeyHex?: string): TestSigner {
  const sk = secretKeyHex ? hexToBytes(secretKeyHex) : secp256k1.utils.randomSecretKey();
  const pk = secp256k1.getPublicKey(sk);
  return {
    secretKeyHex: bytesToHex(sk),
    sign: (hashHex) =>
      bytesToHex(secp256k1.sign(hexToBytes(hashHex), sk, { prehash: false, extraEntropy: true })),
    verify: (sig, hashHex) => {
      try {
        return secp256k1.verify(hexToBytes(sig), hexToBytes(hashHex), pk, { prehash: false });
      } catch {
        return false;
      }
    },
  };
}

/** BLAKE2b-256 (hex) of a distinct payload per (tag, i): the hash the watermark keys on. */
export function payloadHash(tag: string, i: number): string {
  return bytesToHex(blake2b(new TextEncoder().encode(`${tag}:${i}`), { dkLen: 32 }));
}
