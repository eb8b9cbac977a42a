// Argument checks for the PKCS#11 layer: the addon trusts what reaches it.
import { isAbsolute } from 'node:path';
import type { NativeOpenOptions } from './native.js';
import type { Curve, HsmOptions } from './types.js';

export const CURVES: readonly Curve[] = ['p256', 'secp256k1', 'ed25519'];
const MAX_SESSIONS = 64;
export const DEFAULT_TIMEOUT_MS = 3000;
const MAX_TIMEOUT_MS = 600_000;
/** Default queue bound per session: a few rounds of every session, far below what a deadline lets wait. */
export const QUEUE_PER_SESSION = 16;
const MAX_QUEUE = 100_000;
/** Default P-256 tables per pool (their memory: docs/hsm.md, "Signature verification"). */
export const DEFAULT_VERIFY_TABLES = 64;
const MAX_VERIFY_TABLES = 10_000;

/** Vendor libraries are loaded by absolute path only: a bare name would follow the loader's search path. */
export function checkLibrary(library: unknown): string {
  if (typeof library !== 'string' || library.length === 0) {
    throw new TypeError('hsm library must be a non-empty string');
  }
  if (!isAbsolute(library)) {
    throw new TypeError(`hsm library must be an absolute path, got "${library}"`);
  }
  return library;
}

export function toNativeOpen(opts: HsmOptions): NativeOpenOptions {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('hsm options must be an object');
  const library = checkLibrary(opts.library);
  const chosen = [opts.tokenLabel, opts.tokenSerial, opts.slot].filter((v) => v !== undefined);
  if (chosen.length !== 1) {
    throw new TypeError('select the token with exactly one of tokenLabel, tokenSerial or slot');
  }
  if (typeof opts.pin !== 'string' || opts.pin.length === 0)
    throw new TypeError('hsm pin must be a non-empty string');
  const sessions = opts.sessions ?? 4;
  if (!Number.isInteger(sessions) || sessions < 1 || sessions > MAX_SESSIONS) {
    throw new RangeError(`hsm sessions must be an integer from 1 to ${MAX_SESSIONS}, got ${sessions}`);
  }
  if (opts.signAhead !== undefined && typeof opts.signAhead !== 'boolean') {
    throw new TypeError('hsm signAhead must be a boolean');
  }
  if (opts.verifySignatures !== undefined && typeof opts.verifySignatures !== 'boolean') {
    throw new TypeError('hsm verifySignatures must be a boolean');
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new RangeError(`hsm timeoutMs must be an integer from 1 to ${MAX_TIMEOUT_MS}, got ${timeoutMs}`);
  }
  const maxQueue = opts.maxQueue ?? sessions * QUEUE_PER_SESSION;
  if (!Number.isInteger(maxQueue) || maxQueue < 1 || maxQueue > MAX_QUEUE) {
    throw new RangeError(`hsm maxQueue must be an integer from 1 to ${MAX_QUEUE}, got ${maxQueue}`);
  }
  const verifyTables = opts.verifyTables ?? DEFAULT_VERIFY_TABLES;
  if (!Number.isInteger(verifyTables) || verifyTables < 0 || verifyTables > MAX_VERIFY_TABLES) {
    throw new RangeError(
      `hsm verifyTables must be an integer from 0 to ${MAX_VERIFY_TABLES}, got ${verifyTables}`,
    );
  }
  const base = {
    library,
    pin: opts.pin,
    sessions,
    signAhead: opts.signAhead !== false,
    verifySignatures: opts.verifySignatures !== false,
    timeoutMs,
    maxQueue,
    verifyTables,
  };
  if (opts.tokenLabel !== undefined) {
    if (typeof opts.tokenLabel !== 'string' || opts.tokenLabel.length === 0 || opts.tokenLabel.length > 32) {
      throw new TypeError('tokenLabel must be a string of 1 to 32 characters');
    }
    return { ...base, selector: 'label', value: opts.tokenLabel };
  }
  if (opts.tokenSerial !== undefined) {
    if (
      typeof opts.tokenSerial !== 'string' ||
      opts.tokenSerial.length === 0 ||
      opts.tokenSerial.length > 16
    ) {
      throw new TypeError('tokenSerial must be a string of 1 to 16 characters');
    }
    return { ...base, selector: 'serial', value: opts.tokenSerial };
  }
  const slot =
    typeof opts.slot === 'number' && Number.isSafeInteger(opts.slot) ? BigInt(opts.slot) : opts.slot;
  if (typeof slot !== 'bigint' || slot < 0n || slot > 0xffffffffffffffffn) {
    throw new TypeError('slot must be a non-negative integer (bigint for large CloudHSM slot ids)');
  }
  return { ...base, selector: 'slot', value: slot };
}

export function checkCurve(curve: unknown): Curve {
  if (!CURVES.includes(curve as Curve)) throw new TypeError(`curve must be one of ${CURVES.join(', ')}`);
  return curve as Curve;
}

/** CKA_ID given as hex (even length, at most 64 bytes). */
export function parseKeyId(id: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2}){1,64}$/.test(id))
    throw new TypeError(`key id must be 1 to 64 bytes of hex, got "${id}"`);
  return Buffer.from(id, 'hex');
}

export function checkLabel(label: unknown): string {
  if (typeof label !== 'string' || label.length === 0 || Buffer.byteLength(label) > 255) {
    throw new TypeError('key label must be a non-empty string of at most 255 bytes');
  }
  return label;
}
