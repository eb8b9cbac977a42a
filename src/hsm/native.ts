// Loads the Node-API addon (build/Release first, then prebuilds/<platform>-<arch>/, via node-gyp-build)
// and describes its raw surface. Only src/hsm/ talks to it; arguments are checked before each call.
// node-gyp-build's own TEZOS_HSM_SIGNER_PREBUILD=<dir> loads <dir>/build/Release instead: the sanitizer
// builds use it (native/sanitize.sh).
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pkcs11Error } from './errors.js';
import type { NativeMechanism, PoolStats, TokenInfo } from './types.js';

export interface SignProbe {
  micros: number[];
  /** The token refused session objects: the probe's key pair was made on the token (and destroyed). */
  onToken: boolean;
}

export interface NativeKey {
  /** -1 when the key cannot be used (unsupported curve, CKA_ALWAYS_AUTHENTICATE). */
  ref: number;
  label: string;
  id: Buffer;
  keyType: number;
  alwaysAuthenticate: boolean;
  /** '' when unsupported; `error` says why. */
  curve: string;
  publicKey: Buffer;
  error: string;
}

export interface NativeSlot {
  slot: bigint;
  label: string;
  serial: string;
  manufacturer: string;
  model: string;
  initialized: boolean;
  pinCountLow: boolean;
  pinFinalTry: boolean;
  pinLocked: boolean;
}

export interface NativePool {
  keys(): Promise<NativeKey[]>;
  /** `timeoutMs` > 0: rejected with ERR_HSM_TIMEOUT when not answered within it (never signed after). */
  sign(ref: number, mechanism: number, data: Uint8Array, timeoutMs: number): Promise<Buffer>;
  generate(curve: string, label: string, id: Uint8Array): Promise<NativeKey>;
  ping(timeoutMs: number): Promise<void>;
  /** AES-256 secret key in the token, and for mode 1 its HMAC key (native/aes.h). */
  aesGenerate(label: string, mode: number): Promise<void>;
  /**
   * Mode 0 AES-GCM, 1 AES-CBC + HMAC: encrypt → ciphertext ‖ tag and the IV as the token left it (AWS
   * CloudHSM writes its own GCM IV over the caller's, native/aes.cpp); decrypt → plaintext.
   */
  aesCrypt(
    mode: number,
    encrypt: true,
    label: string,
    iv: Uint8Array,
    aad: Uint8Array,
    input: Uint8Array,
  ): Promise<{ iv: Buffer; sealed: Buffer }>;
  aesCrypt(
    mode: number,
    encrypt: false,
    label: string,
    iv: Uint8Array,
    aad: Uint8Array,
    input: Uint8Array,
  ): Promise<Buffer>;
  /** The sealing constructions the token offers (C_GetMechanismInfo). */
  aesModes(): Promise<{ gcm: boolean; cbcHmac: boolean; missing: string[] }>;
  /** Every mechanism of the selected token's slot with its C_GetMechanismInfo (native/mechanisms.h). */
  mechanisms(): Promise<NativeMechanism[]>;
  /** The selected token's CK_TOKEN_INFO. */
  tokenInfo(): Promise<TokenInfo>;
  /** µs per C_SignInit + C_Sign with a key pair made for the probe (native/probe.h). */
  probe(curve: string, count: number): Promise<SignProbe>;
  stats(): PoolStats;
  close(): Promise<void>;
}

export interface NativeOpenOptions {
  library: string;
  selector: 'label' | 'serial' | 'slot';
  value: string | bigint;
  pin: string;
  sessions: number;
  signAhead: boolean;
  /** False: sign jobs skip the check after C_Sign (HsmOptions.verifySignatures). */
  verifySignatures: boolean;
  /** Jobs waiting for a session beyond this are refused at once with ERR_HSM_BUSY. */
  maxQueue: number;
  /** P-256 keys given a table of multiples for their check (HsmOptions.verifyTables). */
  verifyTables: number;
  /** Not read by the addon: each sign()/ping() passes its own (HsmOptions.timeoutMs). */
  timeoutMs: number;
}

export interface NativeAddon {
  /** Node's own OpenSSL was found at load: every sign job verifies its signature (native/verify.h). */
  nativeVerify: boolean;
  /** DER ECDSA-Sig-Value of raw r‖s, as native verification builds it (empty for a bad length). */
  ecdsaRawToDer(raw: Uint8Array): Buffer;
  /** The check a sign job runs after C_Sign; null when unavailable or the key is refused (OpenSSL; libsecp256k1 for secp256k1). */
  verify(curve: string, publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean | null;
  /** Bench only (bench/verify.ts): verify() `count` times on one key parsed once; how many passed. */
  verifyRepeat(
    curve: string,
    publicKey: Uint8Array,
    data: Uint8Array,
    signature: Uint8Array,
    count: number,
  ): number | null;
  /**
   * Tests and benches: signatures[i] over data[i] checked with key i mod publicKeys.length, `rounds` times
   * over, each key parsed once; `tables`: P-256 keys through their table of multiples, built first
   * (native/verify_p256.h), else as a key before its table. `results`: the last round's verdicts; `keysUs`,
   * `checksUs`: CPU µs of the calling thread making the keys (tables included) and checking; `keysRss`:
   * resident bytes gained making the keys; `tableChecks`: checks whose verdict came from a table. Null when
   * a key is refused or a table cannot be built.
   */
  verifyKeys(
    curve: string,
    publicKeys: Uint8Array[],
    data: Uint8Array[],
    signatures: Uint8Array[],
    tables: boolean,
    rounds: number,
  ): { results: boolean[]; keysUs: number; checksUs: number; keysRss: number; tableChecks: number } | null;
  setErrorClass(cls: typeof Pkcs11Error): void;
  listSlots(library: string): Promise<NativeSlot[]>;
  open(opts: NativeOpenOptions): Promise<NativePool>;
  parsePublicKey(
    keyType: number,
    ecParams: Uint8Array,
    ecPoint: Uint8Array,
  ): { curve: string; publicKey: Buffer; error: string };
  moduleUseCount(library: string): number;
  /** BLAKE2b-256 of `data` by the process's OpenSSL; null when it cannot set the digest size (before 3.2). */
  blake2b256(data: Uint8Array): Uint8Array | null;
  /**
   * Bench only (bench/addon-sign.ts --stages): turns per-job timestamps on or off; returns the
   * CLOCK_MONOTONIC ns (process.hrtime.bigint()'s clock) of each STAGES entry for the last sign settled
   * while on, 0 where not reached.
   */
  stageTrace(on: boolean): Float64Array;
  /**
   * Takes an exclusive lock on the open file `fd` that lasts until that open file is closed, by the
   * process or by its death (native/file_lock.h); false when another open file holds it.
   */
  lockFile(fd: number): boolean;
}

/** The stages stageTrace() stamps, in order (native/stage_trace.h). */
export const STAGES = [
  'call',
  'queued',
  'dequeued',
  'signInit',
  'signed',
  'verified',
  'handOver',
  'delivered',
  'resolved',
] as const;

/** PKCS#11 constants the wrapper passes to the addon (pkcs11t.h). */
export const CKM_ECDSA = 0x1041;
export const CKM_EDDSA = 0x1057;
export const CKK_EC = 0x3;
export const CKK_EC_EDWARDS = 0x40;

// src/hsm/ and dist/hsm/ are both two levels below the package root.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const load = require('node-gyp-build') as (dir: string) => NativeAddon;

/** The addon, or an error that says where to go when none loads on this machine. */
function loadAddon(): NativeAddon {
  try {
    return load(root);
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new Error(
      `the PKCS#11 addon does not load: ${why}\n` +
        'build it from source (docs/install.md, "From source"): node native/check-install.cjs in the package',
    );
  }
}

export const addon: NativeAddon = loadAddon();
addon.setErrorClass(Pkcs11Error);
