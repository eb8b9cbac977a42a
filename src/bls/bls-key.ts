// A tz4 (BLS12-381 min-pk) secret held in process memory after unsealing (docs/tz4.md).
// octez src/lib_crypto/bls.ml signs with Bls12_381_signature.MinPk.Pop.sign over watermark ‖ bytes: for the
// remote signer that is the whole request (magic byte included), no pre-hash, DST
// BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_. pop_prove signs the public key bytes (or an override)
// under BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_. BLsk payloads are 32-byte little-endian scalars
// (bls12-381-signature sk_of_bytes_exn); @noble/curves and blst take big-endian ones.
// Signing uses @chainsafe/blst when the caller passes it (the signing thread does, native-bls.ts), else
// @noble/curves; both give the same bytes (deterministic, same DST), checked in test/12-tz4-bls.test.ts.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { b58decode, b58encode } from '../tezos/base58.js';
import { pkhOf } from '../tezos/keys.js';
import { POP_DST, SIGN_DST } from './dst.js';
import type { NativeBls, NativeSecretKey } from './native-bls.js';

export { POP_DST, SIGN_DST };

const minPk = bls12_381.longSignatures;
const ORDER = bls12_381.fields.Fr.ORDER;

function isZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

function scalarBelowOrder(be: Uint8Array): boolean {
  let n = 0n;
  for (const b of be) n = (n << 8n) | BigInt(b);
  return n < ORDER;
}

export class BlsKey {
  /** Big-endian scalar as @noble/curves wants it; zeroed by wipe(). */
  readonly #secret: Uint8Array;
  /**
   * The same secret inside blst, or null (noble signs). Dropped by wipe(): blst's Rust SecretKey zeroes
   * itself when dropped, i.e. when the JS object is collected or its thread's environment is torn down.
   */
  #native: NativeSecretKey | null = null;
  /** 48-byte compressed G1 point. */
  readonly publicKeyBytes: Uint8Array;
  /** BLpk… */
  readonly publicKey: string;
  /** tz4… */
  readonly pkh: string;
  #wiped = false;

  /**
   * From the 32-byte little-endian secret (the BLsk payload); `label` names it in listings (the sealed
   * file's key_label); `native` (native-bls.ts) signs instead of @noble/curves when given. The caller keeps
   * ownership of `le`.
   */
  constructor(
    le: Uint8Array,
    readonly label = '',
    native: NativeBls | null = null,
  ) {
    if (le.length !== 32) throw new TypeError(`BLS secret key must be 32 bytes, got ${le.length}`);
    const be = Uint8Array.from(le).reverse();
    if (isZero(be) || !scalarBelowOrder(be)) {
      be.fill(0);
      throw new TypeError('BLS secret key is not a scalar in [1, r)');
    }
    this.#secret = be;
    this.publicKeyBytes = minPk.getPublicKey(be).toBytes(true);
    this.publicKey = b58encode('BLpk', this.publicKeyBytes);
    this.pkh = pkhOf('bls12-381', this.publicKeyBytes);
    if (native !== null) {
      const sk = native.SecretKey.fromBytes(be);
      if (!Buffer.from(sk.toPublicKey().toBytes(true)).equals(this.publicKeyBytes)) {
        throw new Error(`blst derived another public key than @noble/curves for ${this.pkh}`);
      }
      this.#native = sk;
    }
  }

  /** Which library signs (proofs of possession always use @noble/curves: blst-ts has one fixed DST). */
  get backend(): 'blst' | 'noble' {
    return this.#native === null ? 'noble' : 'blst';
  }

  /** A fresh key from 32 random bytes (reduced mod r by @noble/curves keygen). */
  static generate(): { key: BlsKey; secretLe: Uint8Array } {
    const { secretKey } = minPk.keygen();
    const le = Uint8Array.from(secretKey).reverse();
    secretKey.fill(0);
    return { key: new BlsKey(le), secretLe: le };
  }

  /** Parses `BLsk…` (optionally `unencrypted:BLsk…`, as octez wallets store it). */
  static parseSecret(text: string): Uint8Array {
    const s = text.trim().replace(/^unencrypted:/, '');
    if (!s.startsWith('BLsk')) throw new TypeError('expected an unencrypted BLsk… secret key');
    return b58decode(s, ['BLsk']).payload;
  }

  /** Raw 96-byte signature of `msg` (the whole request, magic byte included). */
  signBytes(msg: Uint8Array): Uint8Array {
    this.#checkLive();
    if (this.#native !== null) return this.#native.sign(msg).toBytes(true);
    return minPk.Signature.toBytes(minPk.sign(minPk.hash(msg, SIGN_DST), this.#secret));
  }

  /** BLsig… signature of `msg`. */
  sign(msg: Uint8Array): string {
    return b58encode('BLsig', this.signBytes(msg));
  }

  /** Proof of possession: signs our public key bytes, or `overridePk` (48 bytes) when given. */
  provePossession(overridePk?: Uint8Array): string {
    this.#checkLive();
    const msg = overridePk ?? this.publicKeyBytes;
    const sig = minPk.sign(minPk.hash(msg, POP_DST), this.#secret);
    return b58encode('BLsig', minPk.Signature.toBytes(sig));
  }

  /**
   * The 32-byte little-endian secret in a fresh buffer, this key wiped: hands the secret over to the
   * signing thread (sign-thread.ts) without leaving a usable copy here.
   */
  moveSecret(): Uint8Array {
    this.#checkLive();
    const le = Uint8Array.from(this.#secret).reverse();
    this.wipe();
    return le;
  }

  /** Zeroes the secret; any later sign throws. */
  wipe(): void {
    this.#secret.fill(0);
    this.#native = null;
    this.#wiped = true;
  }

  #checkLive(): void {
    if (this.#wiped) throw new Error(`BLS key ${this.pkh} was wiped`);
  }
}
