// BLAKE2b-256 for the hashes computed on every request (the request hash the watermark records, the
// authentication message): by the process's OpenSSL through the addon (native/digest.h) where that
// OpenSSL can set BLAKE2b's digest size, checked once against @noble/hashes; @noble/hashes otherwise
// (src/tezos/hash.ts). Same digests either way; OpenSSL's costs less than half (docs/performance.md,
// "Per-request cost around the HSM").
import { addon } from '../hsm/native.js';
import { blake2b256 as blake2b256Js } from '../tezos/hash.js';

type Hash = (data: Uint8Array) => Uint8Array | null;

function agrees(native: Hash | undefined): native is Hash {
  if (typeof native !== 'function') return false; // an addon built before it had one
  const probe = new TextEncoder().encode('abc');
  const got = native(probe);
  return got !== null && Buffer.from(got).equals(blake2b256Js(probe));
}

const openssl: Hash | null = agrees(addon.blake2b256) ? addon.blake2b256 : null;

/** True when blake2b256 is OpenSSL's. */
export const blake2b256ByOpenssl = openssl !== null;

export function blake2b256(bytes: Uint8Array): Uint8Array {
  return openssl?.(bytes) ?? blake2b256Js(bytes);
}
