// Request authentication, octez scheme (docs/protocol.md, "Request authentication"). The client signs
//   0x04 ‖ 0x01 ‖ pkh(21 bytes: tag + hash) ‖ data
// (Make_authenticated_request with tag 1 for Sign, octez src/lib_signer_services/signer_messages.ml)
// with one of its keys whose pkh GET /authorized_keys advertised, and sends the b58 signature as
// `?authentication=`. There is no nonce: replay safety comes from the watermark alone.

import { blake2b256 } from '../crypto/blake2b256.js';
import { pkhToBytes } from '../tezos/keys.js';
import { decodeSignature } from '../tezos/signatures.js';
import type { AuthorizedKey } from './authorized-key.js';

export type AuthResult = 'ok' | 'missing' | 'invalid';

/** Tag of a Sign request in the authenticated-request envelope. */
const SIGN_REQUEST_TAG = 0x01;

// Base58-decoding the pkh costs as much as hashing the message: keep the few the signer serves.
const pkhBytesCache = new Map<string, Uint8Array>();
function pkhBytesOf(pkh: string): Uint8Array {
  let b = pkhBytesCache.get(pkh);
  if (b === undefined) {
    b = pkhToBytes(pkh);
    if (pkhBytesCache.size < 1024) pkhBytesCache.set(pkh, b);
  }
  return b;
}

/** The bytes the client signs to authenticate a request for `pkh` carrying `data`. */
export function authenticationMessage(pkh: string, data: Uint8Array): Uint8Array {
  const pkhBytes = pkhBytesOf(pkh);
  const out = new Uint8Array(2 + pkhBytes.length + data.length);
  out[0] = 0x04;
  out[1] = SIGN_REQUEST_TAG;
  out.set(pkhBytes, 2);
  out.set(data, 2 + pkhBytes.length);
  return out;
}

/**
 * ok when `signature` (edsig/spsig1/p2sig or generic sig) is a valid signature by any of `keys` over the
 * authentication message; missing when absent or empty; invalid otherwise (malformed included).
 */
export function verifyAuthentication(
  keys: readonly AuthorizedKey[],
  pkh: string,
  data: Uint8Array,
  signature: string | undefined | null,
): AuthResult {
  if (signature === undefined || signature === null || signature === '') return 'missing';
  let decoded: ReturnType<typeof decodeSignature>;
  try {
    decoded = decodeSignature(signature);
  } catch {
    return 'invalid';
  }
  if (decoded.scheme === 'bls') return 'invalid';
  const digest = blake2b256(authenticationMessage(pkh, data));
  for (const key of keys) {
    // A typed signature only matches keys of its curve; a generic `sig…` may be any of them.
    if (decoded.scheme !== 'generic' && decoded.scheme !== key.curve) continue;
    if (key.verifyDigest(digest, decoded.bytes)) return 'ok';
  }
  return 'invalid';
}
