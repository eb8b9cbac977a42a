// BLAKE2b digests used by Tezos: 32 bytes for what is signed (docs/protocol.md), 20 bytes for key hashes
// (a real 20-byte digest, not a truncated 32-byte one: octez src/lib_crypto/blake2B.ml Make_minimal).
//
// @noble/hashes (audited) rather than our own BLAKE2b: a hand-written one saved a negligible share of a
// request (docs/performance.md); not worth owning a hash function.
import { blake2b } from '@noble/hashes/blake2.js';

export function blake2b256(bytes: Uint8Array): Uint8Array {
  return blake2b(bytes, { dkLen: 32 });
}

export function blake2b160(bytes: Uint8Array): Uint8Array {
  return blake2b(bytes, { dkLen: 20 });
}
