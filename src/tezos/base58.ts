// Base58check with Tezos prefixes: encode(prefix, payload) and decode(string) back to (prefix, payload).
// Layout: base58(prefix ‖ payload ‖ sha256d checksum[0..4]) (octez src/lib_crypto/base58.ml), Bitcoin
// alphabet. Own coding instead of bs58check: its pure-JS SHA-256 and byte-at-a-time base conversion were a
// visible share of each answer (docs/operations.md, "Performance notes"); node:crypto hashes and the
// conversion below works on 58^5 limbs.
import { hash } from 'node:crypto';
import { PREFIX, type PrefixName } from './prefixes.js';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;
/** 58^5 < 2^30: a limb times 2^16 plus a carry stays far below 2^53 (exact in a double). */
const LIMB = 58 ** 5;
/** Scratch space for inputs up to 128 bytes (every Tezos string); larger ones allocate their own. */
const SMALL = 128;
const LIMBS = new Float64Array(SMALL / 3);
const CHARS = Buffer.alloc(SMALL * 2);

function checksum(bytes: Uint8Array): Buffer {
  return hash('sha256', hash('sha256', bytes, 'buffer'), 'buffer');
}

/** Plain base58 of `bytes` (no checksum): one '1' per leading zero byte, then the number in base 58. */
export function base58(bytes: Uint8Array): string {
  const small = bytes.length <= SMALL;
  const limbs = small ? LIMBS : new Float64Array(Math.ceil(bytes.length / 3));
  const chars = small ? CHARS : Buffer.alloc(bytes.length * 2);
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  // Little-endian limbs in base 58^5 (each holds > 3 bytes); bytes fed two at a time, an odd first one alone.
  let n = 0;
  let i = zeros;
  if ((bytes.length - zeros) % 2 === 1) limbs[n++] = bytes[i++]!;
  for (; i < bytes.length; i += 2) {
    let carry = (bytes[i]! << 8) | bytes[i + 1]!;
    for (let j = 0; j < n; j++) {
      const x = limbs[j]! * 65536 + carry;
      carry = Math.floor(x / LIMB);
      limbs[j] = x - carry * LIMB;
    }
    while (carry > 0) {
      const q = Math.floor(carry / LIMB);
      limbs[n++] = carry - q * LIMB;
      carry = q;
    }
  }
  // Five digits per limb, written backwards from the end; the top limb without its leading zeros.
  let p = chars.length;
  for (let j = 0; j < n; j++) {
    let limb = limbs[j]!;
    const top = j === n - 1;
    for (let k = 0; k < 5 && (!top || limb > 0); k++) {
      const q = Math.floor(limb / 58);
      chars[--p] = CODES[limb - q * 58]!;
      limb = q;
    }
  }
  for (let z = 0; z < zeros; z++) chars[--p] = 49; // '1'
  return chars.toString('latin1', p, chars.length);
}

/** Plain base58 → bytes; null on a character outside the alphabet. */
export function unbase58(s: string): Uint8Array | null {
  let zeros = 0;
  while (zeros < s.length && s.charCodeAt(zeros) === 49 /* '1' */) zeros++;
  const bytes: number[] = []; // little-endian base 256
  for (let i = zeros; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let carry = c < 128 ? DIGIT[c]! : -1;
    if (carry < 0) return null;
    for (let j = 0; j < bytes.length; j++) {
      const x = bytes[j]! * 58 + carry;
      bytes[j] = x & 0xff;
      carry = x >>> 8;
    }
    for (; carry > 0; carry >>>= 8) bytes.push(carry & 0xff);
  }
  const out = new Uint8Array(zeros + bytes.length);
  for (let j = 0; j < bytes.length; j++) out[out.length - 1 - j] = bytes[j]!;
  return out;
}

/** Chain ids (Net…) of recent requests: a signer sees one or two, and every consensus request has one. */
const chainIds = new Map<number, string>();
const CHAIN_IDS_KEPT = 64;

export function b58encode(name: PrefixName, payload: Uint8Array): string {
  const prefix = PREFIX[name];
  if (payload.length !== prefix.length) {
    throw new TypeError(`${name} payload must be ${prefix.length} bytes, got ${payload.length}`);
  }
  if (name === 'Net') {
    const key = ((payload[0]! << 24) | (payload[1]! << 16) | (payload[2]! << 8) | payload[3]!) >>> 0;
    let s = chainIds.get(key);
    if (s === undefined) {
      if (chainIds.size >= CHAIN_IDS_KEPT) chainIds.clear();
      s = encodeChecked(prefix.bytes, payload);
      chainIds.set(key, s);
    }
    return s;
  }
  return encodeChecked(prefix.bytes, payload);
}

function encodeChecked(prefixBytes: Uint8Array, payload: Uint8Array): string {
  const n = prefixBytes.length + payload.length;
  const out = new Uint8Array(n + 4);
  out.set(prefixBytes, 0);
  out.set(payload, prefixBytes.length);
  out.set(checksum(out.subarray(0, n)).subarray(0, 4), n);
  return base58(out);
}

/** Raw base58check decode (checksum verified); throws TypeError on a malformed string. */
function rawDecode(s: string): Uint8Array {
  const raw = unbase58(s);
  if (raw !== null && raw.length >= 4) {
    const body = raw.subarray(0, raw.length - 4);
    const sum = checksum(body);
    if (sum.compare(raw, raw.length - 4, raw.length, 0, 4) === 0) return body;
  }
  throw new TypeError(`invalid base58check string ${JSON.stringify(s.slice(0, 80))}`);
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Decode a string that must carry one of `allowed` prefixes; returns which one and its payload. */
export function b58decode<N extends PrefixName>(
  s: string,
  allowed: readonly N[],
): { prefix: N; payload: Uint8Array } {
  if (typeof s !== 'string') throw new TypeError('expected a base58check string');
  const raw = rawDecode(s);
  for (const name of allowed) {
    const prefix = PREFIX[name];
    if (raw.length === prefix.bytes.length + prefix.length && startsWith(raw, prefix.bytes)) {
      return { prefix: name, payload: raw.slice(prefix.bytes.length) };
    }
  }
  throw new TypeError(
    `expected a base58check ${allowed.join('/')} string, got ${JSON.stringify(s.slice(0, 80))}`,
  );
}
