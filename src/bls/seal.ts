// Sealing a tz4 secret under the HSM's AES key(s), and unsealing it at start (docs/tz4.md). A fresh random
// nonce per seal (96 bits for GCM, a 128-bit CBC IV): each AES key seals few secrets, far below the 2^32
// random-nonce GCM limit. The file stores the IV the token reports having used: AWS CloudHSM generates
// its own GCM IV and writes it over ours (native/aes.cpp).
import { randomBytes } from 'node:crypto';
import { BlsKey } from './bls-key.js';
import { aadOf, SEALED_VERSION, SealedFileError, type SealedKey } from './sealed-file.js';
import { SECRET_BYTES, type Sealer, type SealMechanism, sealedSizes } from './sealer.js';

/** Encrypts the 32-byte little-endian secret of `key`; `secretLe` is not wiped here (the caller owns it). */
export async function sealKey(
  sealer: Sealer,
  key: BlsKey,
  secretLe: Uint8Array,
  keyLabel: string,
  aesKeyLabel: string,
  mechanism: SealMechanism = 'aes-gcm',
): Promise<SealedKey> {
  const meta = {
    version: SEALED_VERSION,
    mechanism,
    pkh: key.pkh,
    publicKey: key.publicKey,
    keyLabel,
    aesKeyLabel,
  };
  const size = sealedSizes(mechanism);
  if (secretLe.length !== SECRET_BYTES) throw new Error(`a tz4 secret is ${SECRET_BYTES} bytes`);
  const out = await sealer.encrypt(
    aesKeyLabel,
    Uint8Array.from(randomBytes(size.nonce)),
    aadOf(meta),
    secretLe,
    mechanism,
  );
  if (out.iv.length !== size.nonce || out.sealed.length !== size.ciphertext + size.tag) {
    throw new Error(
      `${mechanism} returned a ${out.iv.length}-byte IV and ${out.sealed.length} bytes for a ${SECRET_BYTES}-byte secret`,
    );
  }
  return {
    ...meta,
    nonce: out.iv,
    ciphertext: out.sealed.slice(0, size.ciphertext),
    tag: out.sealed.slice(size.ciphertext),
  };
}

/** Decrypts a sealed key and checks the secret matches the recorded public key and pkh. */
export async function unsealKey(sealer: Sealer, sealed: SealedKey, where: string): Promise<BlsKey> {
  const input = new Uint8Array(sealed.ciphertext.length + sealed.tag.length);
  input.set(sealed.ciphertext);
  input.set(sealed.tag, sealed.ciphertext.length);
  let secret: Uint8Array;
  try {
    secret = await sealer.decrypt(sealed.aesKeyLabel, sealed.nonce, aadOf(sealed), input, sealed.mechanism);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new SealedFileError(
      `${where}: cannot unseal (${sealed.mechanism}) with HSM key "${sealed.aesKeyLabel}" (tampered file, wrong token or missing key): ${why}`,
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
