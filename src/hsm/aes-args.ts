// Argument checks for the sealing calls (docs/tz4.md): the addon trusts what reaches it.
import { checkLabel } from './options.js';
import type { SealMechanism } from './types.js';

/** IV and tag sizes, and the addon's mode number, of each sealing mechanism (native/aes.h AesMode). */
export const SEAL_PARAMS: Record<
  SealMechanism,
  { ivBytes: number; tagBytes: number; block: number; mode: number }
> = {
  'aes-gcm': { ivBytes: 12, tagBytes: 16, block: 1, mode: 0 },
  'aes-cbc-hmac': { ivBytes: 16, tagBytes: 32, block: 16, mode: 1 },
};
const MAX_AAD = 1024;
const MAX_PLAINTEXT = 4096;

function bytes(name: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  return v;
}

export function checkMechanism(mechanism: unknown): SealMechanism {
  if (typeof mechanism !== 'string' || !Object.hasOwn(SEAL_PARAMS, mechanism)) {
    throw new TypeError(`sealing mechanism must be one of ${Object.keys(SEAL_PARAMS).join(', ')}`);
  }
  return mechanism as SealMechanism;
}

/**
 * (mode, keyLabel, iv, aad, input) checked; `input` is plaintext (encrypt) or ciphertext ‖ tag (decrypt).
 */
export function checkSealArgs(
  mechanism: SealMechanism,
  encrypt: boolean,
  keyLabel: unknown,
  iv: unknown,
  aad: unknown,
  input: unknown,
): [number, string, Uint8Array, Uint8Array, Uint8Array] {
  const p = SEAL_PARAMS[checkMechanism(mechanism)];
  checkLabel(keyLabel);
  const ivb = bytes('iv', iv);
  if (ivb.length !== p.ivBytes)
    throw new RangeError(`${mechanism} iv must be ${p.ivBytes} bytes, got ${ivb.length}`);
  const aadb = bytes('aad', aad);
  if (aadb.length > MAX_AAD) throw new RangeError(`${mechanism} aad must be at most ${MAX_AAD} bytes`);
  const data = bytes(encrypt ? 'plaintext' : 'ciphertext', input);
  const min = encrypt ? 1 : p.tagBytes + p.block;
  const max = encrypt ? MAX_PLAINTEXT : MAX_PLAINTEXT + p.block + p.tagBytes;
  if (data.length < min || data.length > max || (!encrypt && (data.length - p.tagBytes) % p.block !== 0)) {
    throw new RangeError(
      `${mechanism} ${encrypt ? 'plaintext' : 'ciphertext'} must be ${min} to ${max} bytes` +
        (p.block > 1 && !encrypt ? ` (whole ${p.block}-byte blocks and the tag)` : ''),
    );
  }
  return [p.mode, keyLabel as string, ivb, aadb, data];
}
