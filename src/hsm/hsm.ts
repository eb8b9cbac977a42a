// The typed PKCS#11 API the signer uses: open a token, list keys, sign off the JS thread, close.
import { randomBytes } from 'node:crypto';
import { checkMechanism, checkSealArgs, SEAL_PARAMS } from './aes-args.js';
import { Pkcs11Error } from './errors.js';
import { keygenRefusal } from './keygen-refusal.js';
import {
  type MechanismInfo,
  SIGN_MECHANISMS,
  signableCurves,
  type TokenInfo,
  toMechanismInfo,
} from './mechanisms.js';
import { addon, type NativeKey, type NativePool, type SignProbe } from './native.js';
import { checkCurve, checkLabel, parseKeyId, toNativeOpen } from './options.js';
import type { Curve, HsmKey, HsmOptions, KeyInventoryEntry, PoolStats, SealMechanism } from './types.js';

const MAX_EDDSA_MESSAGE = 1 << 16;

function toKey(k: NativeKey): HsmKey {
  return Object.freeze({
    ref: k.ref,
    label: k.label,
    id: k.id.toString('hex'),
    curve: k.curve as Curve,
    publicKey: new Uint8Array(k.publicKey),
  });
}

/** The addon's own ERR_HSM_TIMEOUT, for a deadline that passed before the job could be queued. */
function deadlinePassed(): Pkcs11Error {
  return new Pkcs11Error('the HSM did not answer before the deadline', {
    code: 'ERR_HSM_TIMEOUT',
    rv: 0,
    fn: 'deadline',
    recovery: 'retry',
  });
}

export class Hsm {
  /**
   * True when the addon verifies every signature after C_Sign, off the JS thread, and answers a
   * signature that does not verify twice (re-signed once on a fresh session) with ERR_HSM_BAD_SIGNATURE.
   * False where the process exports no OpenSSL, or when opened with verifySignatures: false: callers
   * must verify themselves.
   */
  readonly verifiesSignatures: boolean;
  /** HsmOptions.timeoutMs: how long sign() and ping() wait for the token by default. */
  readonly timeoutMs: number;
  readonly #pool: NativePool;
  /** Keys this instance handed out, by ref: sign() only accepts these. */
  readonly #issued = new Map<number, HsmKey>();
  /** Keys whose object on the token was replaced by another key under the same label and id (#issue). */
  readonly #replaced = new WeakSet<HsmKey>();
  #closed = false;

  private constructor(pool: NativePool, verifies: boolean, timeoutMs: number) {
    this.#pool = pool;
    this.verifiesSignatures = verifies;
    this.timeoutMs = timeoutMs;
  }

  /** Loads the library, selects the token, logs in once and starts the session pool. */
  static async open(opts: HsmOptions): Promise<Hsm> {
    const native = toNativeOpen(opts);
    return new Hsm(await addon.open(native), addon.nativeVerify && native.verifySignatures, native.timeoutMs);
  }

  /** Every usable private key on the token (unsupported curves and CKA_ALWAYS_AUTHENTICATE keys skipped). */
  async keys(): Promise<HsmKey[]> {
    this.#checkOpen();
    const all = await this.#pool.keys();
    return all.filter((k) => k.ref >= 0).map((k) => this.#issue(k));
  }

  /**
   * Every private key object on the token, usable or not, with why not (hsm check): the key's curve and
   * public key when they could be read, and `key` (for sign()) when it is usable.
   */
  async inventory(): Promise<KeyInventoryEntry[]> {
    this.#checkOpen();
    return (await this.#pool.keys()).map((k) => {
      const readable = k.curve !== '';
      const entry = {
        label: k.label,
        id: k.id.toString('hex'),
        curve: readable ? (k.curve as Curve) : null,
        publicKey: readable ? new Uint8Array(k.publicKey) : null,
      };
      if (k.ref >= 0) return { ...entry, usable: true, reason: null, key: this.#issue(k) };
      const reason = k.alwaysAuthenticate
        ? 'CKA_ALWAYS_AUTHENTICATE: the token wants the PIN again before every signature'
        : k.error || 'not usable';
      return { ...entry, usable: false, reason, key: null };
    });
  }

  /**
   * Signs a digest: ECDSA (p256, secp256k1) gives raw r||s (S not normalised), Ed25519 its 64-byte signature.
   * Verified against the key before it is returned when `verifiesSignatures`.
   * Not `async`: on the hot path the addon's promise is returned as is (argument errors still reject).
   * `deadline` (performance.now() ms, default now + timeoutMs): not answered by then, it rejects with
   * ERR_HSM_TIMEOUT, and the token's late answer, if any, is discarded: never returned to anyone.
   */
  sign(key: HsmKey, data: Uint8Array, deadline?: number): Promise<Uint8Array> {
    let mechanism: number;
    try {
      mechanism = this.#checkSign(key, data);
    } catch (err) {
      return Promise.reject(err);
    }
    const left = deadline === undefined ? this.timeoutMs : deadline - performance.now();
    if (!(left > 0)) return Promise.reject(deadlinePassed());
    return this.#pool.sign(key.ref, mechanism, data, left);
  }

  /**
   * Generates a key pair in the token: token objects, private half sensitive and non-extractable.
   * `id` is the CKA_ID in hex (random 8 bytes when absent). Refuses a label or id already in use.
   */
  async generateKey(curve: Curve, label: string, id?: string): Promise<HsmKey> {
    this.#checkOpen();
    checkCurve(curve);
    checkLabel(label);
    const idBytes = id === undefined ? randomBytes(8) : parseKeyId(id);
    const idHex = Buffer.from(idBytes).toString('hex');
    const clash = (await this.#pool.keys()).find((k) => k.label === label || k.id.toString('hex') === idHex);
    if (clash) {
      throw new Pkcs11Error(
        `a private key with label "${clash.label}" / id ${clash.id.toString('hex')} exists`,
        {
          code: 'ERR_HSM_KEY_EXISTS',
          rv: 0,
          fn: 'C_GenerateKeyPair',
          recovery: 'none',
        },
      );
    }
    try {
      return this.#issue(await this.#pool.generate(curve, label, idBytes));
    } catch (err) {
      throw keygenRefusal(curve, err);
    }
  }

  /**
   * Times `count` C_SignInit + C_Sign (µs each) with a key pair made for the probe: session objects
   * (CKA_TOKEN false), or on tokens that refuse those, token objects labelled "tezos-hsm-signer-probe"
   * (`onToken`), destroyed at the end. None of the token's keys signs. Rejects with the token's error
   * (keygenRefusal's message) when it cannot make or sign with a key of that curve.
   */
  async probeSignLatency(curve: Curve, count = 20): Promise<SignProbe> {
    this.#checkOpen();
    checkCurve(curve);
    if (!Number.isInteger(count) || count < 1 || count > 1000) {
      throw new RangeError('count: expected an integer from 1 to 1000');
    }
    try {
      return await this.#pool.probe(curve, count);
    } catch (err) {
      throw keygenRefusal(curve, err);
    }
  }

  /**
   * The sealing mechanism to use on this token: 'aes-gcm' when it offers CKM_AES_GCM, else 'aes-cbc-hmac'
   * when it offers CKM_AES_CBC_PAD, CKM_SHA256_HMAC and generic secret generation (both need
   * CKM_AES_KEY_GEN); ERR_HSM_MECHANISM naming the missing mechanisms otherwise. Record it with what
   * was sealed: decrypt() needs the same one.
   */
  async sealMechanism(): Promise<SealMechanism> {
    this.#checkOpen();
    const modes = await this.#pool.aesModes();
    if (modes.gcm) return 'aes-gcm';
    if (modes.cbcHmac) return 'aes-cbc-hmac';
    throw new Pkcs11Error(
      'the token cannot seal tz4 keys: it offers neither AES-GCM nor AES-CBC-PAD + HMAC-SHA256 ' +
        `(missing: ${modes.missing.join(', ')})`,
      {
        code: 'ERR_HSM_MECHANISM',
        rv: 0,
        fn: 'C_GetMechanismInfo',
        recovery: 'none',
      },
    );
  }

  /**
   * AES-256 key in the token (sensitive, non-extractable, encrypt/decrypt only) for sealing tz4 secrets;
   * for 'aes-cbc-hmac' also its 256-bit HMAC key (sign/verify only) under the same label. Makes what is
   * missing; ERR_HSM_KEY_EXISTS when nothing is.
   */
  async generateAesKey(label: string, mechanism: SealMechanism = 'aes-gcm'): Promise<void> {
    this.#checkOpen();
    checkLabel(label);
    await this.#pool.aesGenerate(label, SEAL_PARAMS[checkMechanism(mechanism)].mode);
  }

  /**
   * Authenticated encryption under the token's key `keyLabel` (SealMechanism for sizes): `sealed` is
   * ciphertext ‖ tag and `iv` the IV it was made with, which decrypt() needs. That is `iv` unless the token
   * chose its own: AWS CloudHSM ignores the caller's AES-GCM IV and writes the one it generated back.
   */
  async encrypt(
    keyLabel: string,
    iv: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    mechanism: SealMechanism = 'aes-gcm',
  ): Promise<{ iv: Uint8Array; sealed: Uint8Array }> {
    this.#checkOpen();
    const [mode, ...args] = checkSealArgs(mechanism, true, keyLabel, iv, aad, plaintext);
    const out = await this.#pool.aesCrypt(mode, true, ...args);
    return { iv: new Uint8Array(out.iv), sealed: new Uint8Array(out.sealed) };
  }

  /** Inverse of encrypt(); rejects when the tag does not verify. The caller should fill(0) the result. */
  async decrypt(
    keyLabel: string,
    iv: Uint8Array,
    aad: Uint8Array,
    sealed: Uint8Array,
    mechanism: SealMechanism = 'aes-gcm',
  ): Promise<Uint8Array> {
    this.#checkOpen();
    const [mode, ...args] = checkSealArgs(mechanism, false, keyLabel, iv, aad, sealed);
    const out = await this.#pool.aesCrypt(mode, false, ...args);
    const copy = new Uint8Array(out);
    out.fill(0);
    return copy;
  }

  /** The mechanisms the token lists, with key sizes and flags (C_GetMechanismList, C_GetMechanismInfo). */
  async mechanisms(): Promise<MechanismInfo[]> {
    this.#checkOpen();
    return (await this.#pool.mechanisms()).map(toMechanismInfo);
  }

  /** The curves this token can sign with: those whose mechanism (CKM_ECDSA, CKM_EDDSA) it lists for signing. */
  async signableCurves(): Promise<Set<Curve>> {
    try {
      return signableCurves(await this.mechanisms());
    } catch (err) {
      // A library without mechanism queries says nothing either way: every curve is tried.
      if (err instanceof Pkcs11Error && err.code === 'CKR_FUNCTION_NOT_SUPPORTED')
        return new Set(['p256', 'secp256k1', 'ed25519']);
      throw err;
    }
  }

  /** The token's CK_TOKEN_INFO (label, serial, session limits, memory, versions). */
  async tokenInfo(): Promise<TokenInfo> {
    this.#checkOpen();
    return this.#pool.tokenInfo();
  }

  /** One round trip on a pooled session: the token answers and the session is logged in. */
  async ping(): Promise<void> {
    this.#checkOpen();
    await this.#pool.ping(this.timeoutMs);
  }

  stats(): PoolStats {
    return this.#pool.stats();
  }

  /** Drains in-flight signatures, closes the sessions and finalizes the library when this was its last user. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
  }

  #issue(k: NativeKey): HsmKey {
    const known = this.#issued.get(k.ref);
    const fresh = toKey(k);
    if (known && known.label === fresh.label && known.id === fresh.id && known.curve === fresh.curve) {
      if (Buffer.from(known.publicKey).equals(Buffer.from(fresh.publicKey))) return known;
      // Another key now sits under this label and id. The addon signs with it and checks against its
      // point, so the old HsmKey (and the pkh derived from its public key) must never sign again: its
      // signatures would be another key's.
      this.#replaced.add(known);
    }
    this.#issued.set(k.ref, fresh);
    return fresh;
  }

  #checkSign(key: HsmKey, data: Uint8Array): number {
    this.#checkOpen();
    if (this.#replaced.has(key)) {
      throw new Pkcs11Error(
        `key ${key.label} (id ${key.id}) was replaced on the token by another key under the same label ` +
          'and id; restart the signer to list the keys again',
        { code: 'ERR_HSM_KEY_NOT_FOUND', rv: 0, fn: 'sign', recovery: 'none' },
      );
    }
    if (this.#issued.get(key?.ref) !== key) throw new TypeError('key was not returned by this Hsm instance');
    if (!(data instanceof Uint8Array)) throw new TypeError('data to sign must be a Uint8Array');
    if (key.curve === 'ed25519') {
      if (data.length === 0 || data.length > MAX_EDDSA_MESSAGE) {
        throw new RangeError(`Ed25519 data must be 1 to ${MAX_EDDSA_MESSAGE} bytes, got ${data.length}`);
      }
    } else if (data.length !== 32) {
      throw new RangeError(`ECDSA signs a 32-byte digest, got ${data.length} bytes`);
    }
    return SIGN_MECHANISMS[key.curve].type;
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new Pkcs11Error('the HSM is closed', {
        code: 'ERR_HSM_CLOSED',
        rv: 0,
        fn: 'close',
        recovery: 'none',
      });
    }
  }
}
