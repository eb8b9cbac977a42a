// The typed surface of the PKCS#11 layer as the rest of the signer sees it.
// Nothing here knows about Tezos: curves are named by their PKCS#11 parameters.

import type { Curve } from '../tezos/curve.js';

/** Curves the addon can sign with; the mechanism follows from the curve (CKM_ECDSA or CKM_EDDSA). */
export type { Curve };

/** How to find and open a token. Exactly one of tokenLabel / tokenSerial / slot selects it. */
export interface HsmOptions {
  /** Absolute path of the vendor PKCS#11 library (bare names are refused). */
  library: string;
  tokenLabel?: string;
  tokenSerial?: string;
  slot?: bigint | number;
  /** User PIN (CloudHSM: `user:password`). Never logged. */
  pin: string;
  /** Worker sessions, each owned by its own native thread; capped by the token's max session count. */
  sessions?: number;
  /**
   * An idle worker runs C_SignInit for its next sign (the key of its last two signs), so a lone sign
   * costs C_Sign only on the token (docs/hsm.md "Sign ahead"). Leaves a signing operation active on idle
   * sessions, and ends it with a throw-away C_Sign before any other use. Default true.
   */
  signAhead?: boolean;
  /**
   * The addon checks every signature after C_Sign (default true). False only for measuring the addon
   * against raw C_Sign (bench/hsm.ts): `verifiesSignatures` is then false and callers verify themselves
   * (src/signer does). Deliberately not a config file setting.
   */
  verifySignatures?: boolean;
  /**
   * A sign or ping not answered within this many ms is rejected with ERR_HSM_TIMEOUT (default 3000). A job
   * still queued at its deadline never reaches the token; a result that comes later is discarded.
   */
  timeoutMs?: number;
  /** Jobs waiting for a session; beyond this sign() rejects at once with ERR_HSM_BUSY (default 16 × sessions). */
  maxQueue?: number;
  /**
   * How many P-256 keys get a table of precomputed multiples of their point (37 × 64 points each, built
   * after a key's first sign), which makes both multiplications of the check after C_Sign fixed-base
   * (docs/hsm.md "Signature verification": cost and memory). Keys beyond it are checked without one.
   * Default 64; 0 turns the tables off.
   */
  verifyTables?: number;
}

/** A private key found on the token, with its public point already parsed. */
export interface HsmKey {
  /** Opaque reference for sign(); stable for the life of the Hsm instance (re-resolved on handle loss). */
  readonly ref: number;
  readonly label: string;
  /** CKA_ID as lowercase hex ('' when absent). */
  readonly id: string;
  readonly curve: Curve;
  /** Ed25519: 32 raw bytes. ECDSA curves: 33-byte compressed SEC1 point. */
  readonly publicKey: Uint8Array;
}

export interface PoolStats {
  sessions: number;
  busy: number;
  idle: number;
  queued: number;
  recycled: number;
  signs: number;
  /** Of `signs`, those whose C_SignInit an idle session had run ahead (HsmOptions.signAhead). */
  signsAhead: number;
  /** P-256 tables of multiples built for the check after C_Sign (HsmOptions.verifyTables). */
  verifyTables: number;
  /** Checks after C_Sign whose verdict came from such a table (the others: OpenSSL's EVP_PKEY_verify). */
  verifyTableChecks: number;
  errors: number;
  /** In an outage: jobs are refused with ERR_HSM_UNAVAILABLE until a probe finds the token (docs/outages.md). */
  unavailable: boolean;
  /** Outages since the pool opened. */
  outages: number;
  /** Jobs answered with ERR_HSM_TIMEOUT (dropped from the queue or set aside mid-call). */
  timeouts: number;
  /** Jobs refused with ERR_HSM_BUSY because the queue was full. */
  queueFull: number;
  /** Sessions stuck in a call past a deadline that were replaced by a fresh session and thread. */
  replaced: number;
  /** Sessions set aside and still inside their call now. */
  setAside: number;
  maxQueue: number;
}

/**
 * How the token seals (native/aes.h): 'aes-gcm' (12-byte IV, 16-byte tag) or, for tokens without
 * CKM_AES_GCM, 'aes-cbc-hmac' (CKM_AES_CBC_PAD with a 16-byte IV, then CKM_SHA256_HMAC under a second
 * token key of the same label: 32-byte tag; the ciphertext is padded to whole 16-byte blocks).
 */
export type SealMechanism = 'aes-gcm' | 'aes-cbc-hmac';

/** Recovery class attached to every Pkcs11Error (docs/hsm.md, "Recovery"). */
export type Recovery = 'retry' | 'recycle' | 'relogin' | 'reinitialize' | 'fatal' | 'none';

/** One private key object as Hsm.inventory() reports it. */
export interface KeyInventoryEntry {
  label: string;
  /** CKA_ID, hex. */
  id: string;
  /** null when the key is not an EC/EdDSA key of a supported curve or its public half is unreadable. */
  curve: Curve | null;
  publicKey: Uint8Array | null;
  usable: boolean;
  /** Why the signer cannot use it (null when usable). */
  reason: string | null;
  /** For sign(), when usable. */
  key: HsmKey | null;
}

export interface TokenInfo {
  slot: bigint;
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  /** CKF_ token flags (CKF_TOKEN_INITIALIZED 0x400, CKF_LOGIN_REQUIRED 0x4, …). */
  flags: number;
  /**
   * Session counts (ulMaxSessionCount, ulSessionCount, ulMaxRwSessionCount, ulRwSessionCount): null when
   * the token does not say (CK_UNAVAILABLE_INFORMATION); a maximum of 0 means no limit
   * (CK_EFFECTIVELY_INFINITE).
   */
  maxSessionCount: number | null;
  sessionCount: number | null;
  maxRwSessionCount: number | null;
  rwSessionCount: number | null;
  maxPinLen: number | null;
  minPinLen: number | null;
  totalPublicMemory: number | null;
  freePublicMemory: number | null;
  totalPrivateMemory: number | null;
  freePrivateMemory: number | null;
  /** 'major.minor' */
  hardwareVersion: string;
  firmwareVersion: string;
}

/** The addon's raw mechanism entry. */
export interface NativeMechanism {
  type: number;
  minKeySize: number;
  maxKeySize: number;
  flags: number;
}
