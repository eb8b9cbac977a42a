// What sealing needs from an HSM: authenticated encryption under keys that never leave the token,
// AES-GCM or, on tokens without it, AES-CBC + HMAC (native/aes.h). src/hsm Hsm satisfies it; the
// sealed-file code depends only on this and on the mechanisms' sizes.
import { SEAL_PARAMS } from '../hsm/aes-args.js';
import type { SealMechanism } from '../hsm/types.js';

export type { SealMechanism };

export interface Sealer {
  /**
   * Encryption under the token's key(s) `keyLabel`: `sealed` is ciphertext ‖ tag, `iv` the IV the token
   * used (AWS CloudHSM replaces the caller's AES-GCM IV with its own and writes it back).
   */
  encrypt(
    keyLabel: string,
    iv: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    mechanism?: SealMechanism,
  ): Promise<{ iv: Uint8Array; sealed: Uint8Array }>;
  /** The inverse; throws when the tag does not verify (wrong key, tampered bytes, IV or AAD). */
  decrypt(
    keyLabel: string,
    iv: Uint8Array,
    aad: Uint8Array,
    sealed: Uint8Array,
    mechanism?: SealMechanism,
  ): Promise<Uint8Array>;
}

/** A tz4 secret: 32 bytes, little-endian (bls-key.ts). */
export const SECRET_BYTES = 32;

export const SEAL_MECHANISMS = Object.keys(SEAL_PARAMS) as SealMechanism[];

/** Field sizes of a sealed secret: GCM keeps its length, CBC-PAD pads it to the next whole block. */
export function sealedSizes(mechanism: SealMechanism): { nonce: number; ciphertext: number; tag: number } {
  const p = SEAL_PARAMS[mechanism];
  const ciphertext = p.block === 1 ? SECRET_BYTES : (Math.floor(SECRET_BYTES / p.block) + 1) * p.block;
  return { nonce: p.ivBytes, ciphertext, tag: p.tagBytes };
}
