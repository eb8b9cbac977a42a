// A bounds-checked cursor over request bytes. Every read either succeeds inside the buffer or throws a
// DecodeError naming the offset and what was expected; nothing reads out of bounds.
// Integer encodings follow octez data-encoding (src/lib_data_encoding/binary_reader.ml): big-endian
// fixed ints, N/Z as little-endian base-128 groups, `bool` as 00/ff, dynamic bytes with a uint30 length.
import { b58encode } from './base58.js';
import { DecodeError } from './decode-error.js';
import { pkhFromBinary, publicKeyFromBinary, publicKeyLength } from './keys.js';
import type { PrefixName } from './prefixes.js';

/** Longest N/Z we accept: 128 bytes (896 bits) covers every counter, amount and DAL bitset. */
const MAX_ZARITH_BYTES = 128;
const MAX_INT64 = (1n << 63n) - 1n;

export class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  fail(expected: string, at = this.offset): never {
    throw new DecodeError(at, expected);
  }

  private need(n: number, what: string): number {
    if (n > this.remaining) this.fail(`${what} (${n} bytes, ${this.remaining} left)`);
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u8(what: string): number {
    const at = this.need(1, what);
    return this.bytes[at]!;
  }

  u16(what: string): number {
    const at = this.need(2, what);
    return (this.bytes[at]! << 8) | this.bytes[at + 1]!;
  }

  u32(what: string): number {
    const at = this.need(4, what);
    const b = this.bytes;
    return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  }

  i32(what: string): number {
    return this.u32(what) | 0;
  }

  /** A non-negative int32 (levels, rounds). */
  nat32(what: string): number {
    const at = this.offset;
    const v = this.i32(what);
    if (v < 0) this.fail(`${what} >= 0, got ${v}`, at);
    return v;
  }

  i64(what: string): bigint {
    const at = this.need(8, what);
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(this.bytes[at + i]!);
    return BigInt.asIntN(64, v);
  }

  take(n: number, what: string): Uint8Array {
    const at = this.need(n, what);
    return this.bytes.subarray(at, at + n);
  }

  /** A fixed-size hash rendered in base58check. */
  hash(name: PrefixName, size: number, what: string): string {
    return b58encode(name, this.take(size, what));
  }

  /**
   * A fixed-size hash read (and bounds-checked) now, rendered in base58check on first use and kept: on
   * the signing path most of a request's hashes are read only by its audit line, written after the
   * answer, and each rendering is a base conversion and two SHA-256 (docs/performance.md).
   */
  lazyHash(name: PrefixName, size: number, what: string): () => string {
    const bytes = this.take(size, what).slice();
    let text: string | undefined;
    return () => {
      text ??= b58encode(name, bytes);
      return text;
    };
  }

  /** `bool`: 00 false, ff true, anything else refused. */
  bool(what: string): boolean {
    const at = this.offset;
    const b = this.u8(what);
    if (b === 0x00) return false;
    if (b === 0xff) return true;
    return this.fail(`${what} (00 or ff), got 0x${b.toString(16).padStart(2, '0')}`, at);
  }

  /** Length of a dynamic field: uint30 that must fit in what is left. */
  length(what: string, max = 0x3fffffff): number {
    const at = this.offset;
    const n = this.u32(`length of ${what}`);
    if (n > max || n > this.remaining) {
      this.fail(`length of ${what} <= ${Math.min(max, this.remaining)}, got ${n}`, at);
    }
    return n;
  }

  /** Bytes with a 4-byte length prefix. */
  dynBytes(what: string, max?: number): Uint8Array {
    return this.take(this.length(what, max), what);
  }

  private zarith(what: string, signed: boolean): bigint {
    const start = this.offset;
    let value = 0n;
    let shift = 0n;
    let first = true;
    let negative = false;
    for (;;) {
      if (this.offset - start >= MAX_ZARITH_BYTES)
        this.fail(`${what} of at most ${MAX_ZARITH_BYTES} bytes`, start);
      const b = this.u8(what);
      if (first && signed) {
        negative = (b & 0x40) !== 0;
        value = BigInt(b & 0x3f);
        shift = 6n;
      } else {
        value |= BigInt(b & 0x7f) << shift;
        shift += 7n;
      }
      // A trailing all-zero group is non-canonical (data-encoding refuses it too).
      if (!first && b === 0x00)
        this.fail(`${what} in canonical form (no trailing zero byte)`, this.offset - 1);
      first = false;
      if ((b & 0x80) === 0) break;
    }
    if (negative && value === 0n) this.fail(`${what} in canonical form (no negative zero)`, start);
    return negative ? -value : value;
  }

  /** Natural number (data-encoding `n`). */
  n(what: string): bigint {
    return this.zarith(what, false);
  }

  /** Signed integer (data-encoding `z`). */
  z(what: string): bigint {
    return this.zarith(what, true);
  }

  /** Tez amount: `n` bounded to int64 (octez Tez_repr.encoding). */
  mutez(what: string): bigint {
    const at = this.offset;
    const v = this.n(what);
    if (v > MAX_INT64) this.fail(`${what} <= ${MAX_INT64} mutez`, at);
    return v;
  }

  /** Public key hash: tag 0..3 then 20 bytes. */
  pkh(what: string): string {
    const at = this.offset;
    const tag = this.u8(what);
    if (tag > 3) this.fail(`${what}: public key hash tag 0..3, got ${tag}`, at);
    return pkhFromBinary(tag, this.take(20, what));
  }

  /** Public key: tag 0..3 then 32/33/33/48 bytes. */
  publicKey(what: string): string {
    const at = this.offset;
    const tag = this.u8(what);
    const len = publicKeyLength(tag);
    if (len === undefined) this.fail(`${what}: public key tag 0..3, got ${tag}`, at);
    return publicKeyFromBinary(tag, this.take(len, what));
  }

  /** Contract id (contract_repr.ml): 00 ‖ pkh (21) or 01 ‖ KT1 hash (20) ‖ 00 padding. */
  contract(what: string): string {
    const at = this.offset;
    const tag = this.u8(what);
    if (tag === 0) return this.pkh(what);
    if (tag === 1) return this.originated(what, true);
    return this.fail(`${what}: contract tag 00 (implicit) or 01 (originated), got ${tag}`, at);
  }

  /** Originated contract hash with its padding byte; `tagRead` when the 01 tag was already consumed. */
  originated(what: string, tagRead = false): string {
    if (!tagRead) {
      const at = this.offset;
      const tag = this.u8(what);
      if (tag !== 1) this.fail(`${what}: originated contract tag 01, got ${tag}`, at);
    }
    const kt1 = this.hash('KT1', 20, what);
    const at = this.offset;
    if (this.u8(`${what} padding`) !== 0) this.fail(`${what} padding byte 00`, at);
    return kt1;
  }

  /** Refuse trailing bytes. */
  end(): void {
    if (this.remaining !== 0) this.fail(`end of input, got ${this.remaining} trailing bytes`);
  }
}
