// Sealing a tz4 secret under an HSM AES key, and unsealing it at start (issue #8). A fresh random
// 96-bit nonce per seal: each AES key seals few secrets, far below the 2^32 random-nonce GCM limit.
import { randomBytes } from 'node:crypto';
import { BlsKey } from './bls-key.js';
import { aadOf, SealedFileError, type SealedKey } from './sealed-file.js';
import { GCM_IV_BYTES, GCM_TAG_BYTES, type Sealer } from './sealer.js';

/** Encrypts the 32-byte little-endian secret of `key`; `secretLe` is not wiped here (the caller owns it). */
export async function sealKey(
  sealer: Sealer,
  key: BlsKey,
  secretLe: Uint8Array,
  keyLabel: string,
  aesKeyLabel: string,
): Promise<SealedKey> {
  const meta = { pkh: key.pkh, publicKey: key.publicKey, keyLabel, aesKeyLabel };
  const nonce = Uint8Array.from(randomBytes(GCM_IV_BYTES));
  const out = await sealer.encrypt(aesKeyLabel, nonce, aadOf(meta), secretLe);
  if (out.length !== secretLe.length + GCM_TAG_BYTES) {
    throw new Error(`AES-GCM returned ${out.length} bytes for a ${secretLe.length}-byte secret`);
  }
  return { ...meta, nonce, ciphertext: out.slice(0, secretLe.length), tag: out.slice(secretLe.length) };
}

/** Decrypts a sealed key and checks the secret matches the recorded public key and pkh. */
export async function unsealKey(sealer: Sealer, sealed: SealedKey, where: string): Promise<BlsKey> {
  const input = new Uint8Array(sealed.ciphertext.length + sealed.tag.length);
  input.set(sealed.ciphertext);
  input.set(sealed.tag, sealed.ciphertext.length);
  let secret: Uint8Array;
  try {
    secret = await sealer.decrypt(sealed.aesKeyLabel, sealed.nonce, aadOf(sealed), input);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new SealedFileError(
      `${where}: cannot unseal with HSM AES key "${sealed.aesKeyLabel}" (tampered file, wrong token or missing key): ${why}`,
    );
  }
  try {
    const key = new BlsKey(secret, sealed.keyLabel);
    if (key.publicKey !== sealed.publicKey || key.pkh !== sealed.pkh) {
      key.wipe();
      throw new SealedFileError(`${where}: the unsealed secret does not match ${sealed.pkh}`);
    }
    return key;
  } finally {
    secret.fill(0);
  }
}
