// Argument checks for the AES-GCM sealing calls (issue #8): the addon trusts what reaches it.
import { checkLabel } from './options.js';

const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;
const MAX_AAD = 1024;
const MAX_PLAINTEXT = 4096;

function bytes(name: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  return v;
}

/** (keyLabel, iv, aad, input) checked; `input` is plaintext (encrypt) or ciphertext ‖ tag (decrypt). */
export function checkGcmArgs(
  encrypt: boolean,
  keyLabel: unknown,
  iv: unknown,
  aad: unknown,
  input: unknown,
): [string, Uint8Array, Uint8Array, Uint8Array] {
  checkLabel(keyLabel);
  const ivb = bytes('iv', iv);
  if (ivb.length !== GCM_IV_BYTES)
    throw new RangeError(`AES-GCM iv must be ${GCM_IV_BYTES} bytes, got ${ivb.length}`);
  const aadb = bytes('aad', aad);
  if (aadb.length > MAX_AAD) throw new RangeError(`AES-GCM aad must be at most ${MAX_AAD} bytes`);
  const data = bytes(encrypt ? 'plaintext' : 'ciphertext', input);
  const min = encrypt ? 1 : GCM_TAG_BYTES + 1;
  if (data.length < min || data.length > MAX_PLAINTEXT + GCM_TAG_BYTES) {
    throw new RangeError(
      `AES-GCM ${encrypt ? 'plaintext' : 'ciphertext'} must be ${min} to ${MAX_PLAINTEXT} bytes`,
    );
  }
  return [keyLabel as string, ivb, aadb, data];
}
