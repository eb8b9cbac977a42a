// What sealing needs from an HSM: AES-256-GCM under a key that never leaves the token (issue #8).
// src/hsm Hsm satisfies it; the sealed-file code depends only on this.

export interface Sealer {
  /** AES-GCM encryption under the token's AES key `keyLabel`: returns ciphertext ‖ 16-byte tag. */
  encrypt(keyLabel: string, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** The inverse; throws when the tag does not verify (wrong key, tampered bytes or AAD). */
  decrypt(keyLabel: string, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array>;
}

export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
