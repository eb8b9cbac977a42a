// On-disk format of the file backend's append-only log (one job: encode and decode bytes).
//
//   header  "tezos-hsm-signer watermark log v1\n"
//   batch*  u32 BE length N | u32 BE (N xor 0xffffffff) | u32 BE CRC-32 of body | body (N bytes)
//   body    one JSON line per mark: {"c":chain,"p":pkh,"k":kind,"l":level,"r":round,"h":hash,"s":sig}\n
//           ("s":"" is a height reserved before its signature: RESERVED in rule.ts)
//
// The file may end in zeros: space the writer wrote ahead so that a batch's durable write changes no
// file size (append-log.ts). The log ends where the zeros begin.
//
// The writer appends one batch per write(), durable when write() returns (O_DSYNC, append-log.ts),
// before it acknowledges any height in it or writes the next batch (group commit). So a crash can
// damage only the LAST batch, and no height in it was acknowledged: a signature it records was answered
// only after its height's reservation was durable in an earlier batch. Discarding a damaged final batch
// never loses an acknowledged height. A damaged batch with more non-zero bytes after it cannot come from
// a crash: that is corruption and we refuse.
// Limit: a flipped bit inside the final batch cannot be told from a torn write, so it is dropped too
// (with a report); storage that flips bits needs a checksumming filesystem.
// The length is stored twice (plain and inverted) so that a flipped byte in a length field is caught
// as corruption instead of looking like a batch cut short by a crash.

import { crc32 } from 'node:zlib';
import type { ConsensusKind } from '../tezos/request.js';
import type { Mark, SlotKey } from './store.js';
import { checkSlot, checkStoredMark, WatermarkArgumentError } from './validate.js';

export const LOG_VERSION = 1;
const HEADER_PREFIX = 'tezos-hsm-signer watermark log v';
export const LOG_HEADER = Buffer.from(`${HEADER_PREFIX}${LOG_VERSION}\n`, 'latin1');
const FRAME = 12;
/** Upper bound on one batch body; compaction splits its output into batches well below this. */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;

export interface LogEntry {
  slot: SlotKey;
  mark: Mark;
}

/** A damaged final batch that was dropped on open (it was never acknowledged; see above). */
export interface TornTail {
  offset: number;
  bytes: number;
  reason: string;
}

export interface ParsedLog {
  entries: LogEntry[];
  /** Bytes up to the end of the last intact batch: where the next batch goes. Zeros may follow. */
  validLength: number;
  torn: TornTail | null;
}

/** The file is not a log we can trust or understand; `offset` is where reading stopped. */
export class LogFormatError extends Error {
  override readonly name = 'LogFormatError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export function encodeEntry(e: LogEntry): string {
  const { slot, mark } = e;
  return `${JSON.stringify({ c: slot.chainId, p: slot.pkh, k: slot.kind, l: mark.level, r: mark.round, h: mark.hash, s: mark.signature })}\n`;
}

/** Frames already-encoded lines as one batch (the body is encoded straight into the frame). */
export function encodeBatch(lines: readonly string[]): Buffer {
  const text = lines.length === 1 ? lines[0]! : lines.join('');
  const len = Buffer.byteLength(text, 'utf8');
  if (len === 0 || len > MAX_BATCH_BYTES) throw new RangeError(`batch of ${len} bytes`);
  const out = Buffer.allocUnsafe(FRAME + len);
  out.write(text, FRAME, 'utf8');
  out.writeUInt32BE(len, 0);
  out.writeUInt32BE(~len >>> 0, 4);
  out.writeUInt32BE(crc32(out.subarray(FRAME)), 8);
  return out;
}

function decodeBody(body: Buffer, offset: number): LogEntry[] {
  const text = body.toString('utf8');
  if (!text.endsWith('\n'))
    throw new LogFormatError(`batch at byte ${offset} does not end with a newline`, offset);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      try {
        const o = JSON.parse(line) as Record<string, unknown>;
        const slot = { chainId: o.c, pkh: o.p, kind: o.k as ConsensusKind } as SlotKey;
        const mark = { level: o.l, round: o.r, hash: o.h, signature: o.s } as Mark;
        checkSlot(slot);
        checkStoredMark(mark);
        return { slot, mark };
      } catch (err) {
        const why =
          err instanceof WatermarkArgumentError || err instanceof SyntaxError ? err.message : String(err);
        throw new LogFormatError(`bad entry in batch at byte ${offset}: ${why}`, offset);
      }
    });
}

function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

function parseHeader(buf: Buffer): number {
  const nl = buf.indexOf(0x0a);
  const line = buf.subarray(0, nl < 0 ? Math.min(buf.length, 64) : nl).toString('latin1');
  if (nl < 0 || !line.startsWith(HEADER_PREFIX))
    throw new LogFormatError('not a tezos-hsm-signer watermark log (bad header)', 0);
  const version = line.slice(HEADER_PREFIX.length);
  if (version !== String(LOG_VERSION))
    throw new LogFormatError(
      `unsupported watermark log version ${JSON.stringify(version)} (this build reads v${LOG_VERSION})`,
      0,
    );
  return nl + 1;
}

export function parseLog(buf: Buffer): ParsedLog {
  let p = parseHeader(buf);
  const entries: LogEntry[] = [];
  const torn = (reason: string): ParsedLog => ({
    entries,
    validLength: p,
    torn: { offset: p, bytes: buf.length - p, reason },
  });
  while (p < buf.length) {
    // Zeros to the end of the file: space written ahead for the next batches (append-log.ts), or a file
    // extended by a crash before its data landed. Either way nothing was acknowledged there.
    if (allZero(buf, p)) break;
    if (buf.length - p < FRAME) return torn('incomplete batch header at end of file');
    const len = buf.readUInt32BE(p);
    if ((len ^ buf.readUInt32BE(p + 4)) >>> 0 !== 0xffffffff || len === 0 || len > MAX_BATCH_BYTES) {
      // A header only partly on disk, zeros after it: the write of the last batch, cut short.
      if (allZero(buf, p + FRAME)) return torn('incomplete batch header at end of the log');
      throw new LogFormatError(`corrupted batch header at byte ${p}`, p);
    }
    const end = p + FRAME + len;
    if (end > buf.length) return torn('final batch cut short');
    const body = buf.subarray(p + FRAME, end);
    if (crc32(body) !== buf.readUInt32BE(p + 8)) {
      if (allZero(buf, end)) return torn('checksum mismatch in final batch');
      throw new LogFormatError(`checksum mismatch in batch at byte ${p} with more data after it`, p);
    }
    for (const e of decodeBody(body, p)) entries.push(e);
    p = end;
  }
  return { entries, validLength: p, torn: null };
}
