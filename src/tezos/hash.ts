// BLAKE2b digests used by Tezos: 32 bytes for what is signed (DESIGN.md §3), 20 bytes for key hashes
// (a real 20-byte digest, not a truncated 32-byte one: octez src/lib_crypto/blake2B.ml Make_minimal).
//
// Unkeyed BLAKE2b (RFC 7693) over 32-bit halves with preallocated state: every signed request is hashed
// on the event loop, and @noble/hashes' general version (objects and buffers per call) costs ~3× more
// for a 150-byte request. Node's OpenSSL has BLAKE2b-512 only (no digest-length parameter from JS).
// test/02-tezos-hash.test.ts checks it against @noble/hashes and RFC 7693's vector.

/** RFC 7693 §2.6 IV, as (low, high) 32-bit halves. */
const IV = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a, 0xade682d1,
  0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);

/** RFC 7693 §2.7 message schedule, 12 rounds, pre-multiplied by 2 (indices into 32-bit halves). */
const SIGMA = new Uint8Array(
  [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  ]
    .flat()
    .map((i) => i * 2),
);

// Scratch state, reused by every call (the event loop runs one hash at a time).
const h = new Uint32Array(16);
const v = new Uint32Array(32);
const m = new Uint32Array(32);
const block = new Uint8Array(128);

/**
 * The mixing function G (RFC 7693 §3.1) on v[a], v[b], v[c], v[d] with message words m[x], m[y]; 64-bit
 * words as (low, high) pairs in locals, additions carried by hand, rotations by 32, 24, 16 and 63.
 */
function g(a: number, b: number, c: number, d: number, x: number, y: number): void {
  let al = v[a]!;
  let ah = v[a + 1]!;
  let bl = v[b]!;
  let bh = v[b + 1]!;
  let cl = v[c]!;
  let ch = v[c + 1]!;
  let dl = v[d]!;
  let dh = v[d + 1]!;
  let lo: number;
  let t: number;
  // a += b + m[x]
  lo = al + bl;
  ah = (ah + bh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  al = lo >>> 0;
  lo = al + m[x]!;
  ah = (ah + m[x + 1]! + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  al = lo >>> 0;
  // d = (d ^ a) >>> 32
  t = dl ^ al;
  dl = (dh ^ ah) >>> 0;
  dh = t >>> 0;
  // c += d
  lo = cl + dl;
  ch = (ch + dh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  cl = lo >>> 0;
  // b = (b ^ c) >>> 24
  t = bl ^ cl;
  bh ^= ch;
  bl = ((t >>> 24) ^ (bh << 8)) >>> 0;
  bh = ((bh >>> 24) ^ (t << 8)) >>> 0;
  // a += b + m[y]
  lo = al + bl;
  ah = (ah + bh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  al = lo >>> 0;
  lo = al + m[y]!;
  ah = (ah + m[y + 1]! + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  al = lo >>> 0;
  // d = (d ^ a) >>> 16
  t = dl ^ al;
  dh ^= ah;
  dl = ((t >>> 16) ^ (dh << 16)) >>> 0;
  dh = ((dh >>> 16) ^ (t << 16)) >>> 0;
  // c += d
  lo = cl + dl;
  ch = (ch + dh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  cl = lo >>> 0;
  // b = (b ^ c) >>> 63, i.e. rotate left by 1
  t = bl ^ cl;
  bh ^= ch;
  bl = ((bh >>> 31) ^ (t << 1)) >>> 0;
  bh = ((t >>> 31) ^ (bh << 1)) >>> 0;
  v[a] = al;
  v[a + 1] = ah;
  v[b] = bl;
  v[b + 1] = bh;
  v[c] = cl;
  v[c + 1] = ch;
  v[d] = dl;
  v[d + 1] = dh;
}

/** The compression function F (RFC 7693 §3.2) on `bytes` = 128 bytes; `t` bytes hashed so far. */
function compress(bytes: Uint8Array, at: number, t: number, last: boolean): void {
  for (let i = 0; i < 16; i++) {
    v[i] = h[i]!;
    v[i + 16] = IV[i]!;
  }
  v[24] = v[24]! ^ (t >>> 0); // t < 2^53: its low and high words
  v[25] = v[25]! ^ Math.floor(t / 0x100000000);
  if (last) {
    v[28] = ~v[28]!;
    v[29] = ~v[29]!;
  }
  for (let i = 0; i < 32; i++) {
    const j = at + i * 4;
    m[i] = bytes[j]! | (bytes[j + 1]! << 8) | (bytes[j + 2]! << 16) | (bytes[j + 3]! << 24);
  }
  for (let r = 0; r < 192; r += 16) {
    g(0, 8, 16, 24, SIGMA[r]!, SIGMA[r + 1]!);
    g(2, 10, 18, 26, SIGMA[r + 2]!, SIGMA[r + 3]!);
    g(4, 12, 20, 28, SIGMA[r + 4]!, SIGMA[r + 5]!);
    g(6, 14, 22, 30, SIGMA[r + 6]!, SIGMA[r + 7]!);
    g(0, 10, 20, 30, SIGMA[r + 8]!, SIGMA[r + 9]!);
    g(2, 12, 22, 24, SIGMA[r + 10]!, SIGMA[r + 11]!);
    g(4, 14, 16, 26, SIGMA[r + 12]!, SIGMA[r + 13]!);
    g(6, 8, 18, 28, SIGMA[r + 14]!, SIGMA[r + 15]!);
  }
  for (let i = 0; i < 16; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 16]!;
}

/** Unkeyed BLAKE2b with an `outLen`-byte digest (1..64). */
export function blake2b(bytes: Uint8Array, outLen: number): Uint8Array {
  if (!Number.isInteger(outLen) || outLen < 1 || outLen > 64) throw new RangeError('BLAKE2b digest length');
  h.set(IV);
  h[0] = h[0]! ^ 0x01010000 ^ outLen; // parameter block: digest length, key length 0, fanout 1, depth 1
  const n = bytes.length;
  let at = 0;
  // Every full block but the last one; the last (possibly empty) block is padded and flagged.
  for (; n - at > 128; at += 128) compress(bytes, at, at + 128, false);
  block.fill(0);
  block.set(bytes.subarray(at));
  compress(block, 0, n, true);
  const out = new Uint8Array(outLen);
  for (let i = 0; i < outLen; i++) out[i] = h[i >> 2]! >>> (8 * (i & 3));
  return out;
}

export function blake2b256(bytes: Uint8Array): Uint8Array {
  return blake2b(bytes, 32);
}

export function blake2b160(bytes: Uint8Array): Uint8Array {
  return blake2b(bytes, 20);
}
