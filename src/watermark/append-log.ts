// The file backend's writer: appends marks to the log with group commit and compacts it.
//
// Why one append-only log and not one file per slot: a durable update of a per-slot file needs its own
// fsync (and write-temp + rename + directory fsync for atomicity), so N requests on N slots cost N or
// more syncs. Appending to one log lets every request that arrives while a write is in flight ride on
// the next single durable write (group commit), and the cost of a request is one short append and a
// Map update, whatever the number of keys and chains. A lone request is written at once: nothing waits
// for a batching window.
//
// Space is written ahead: the file is extended with zeros, durably, a chunk at a time, and batches are
// written over those zeros. A durable write that extends a file must also commit the new file size (on
// ext4 and XFS a journal commit, one more flush of the device); one that overwrites written blocks
// needs only its data flushed. PostgreSQL pre-zeroes its WAL segments for the same reason. The reader
// stops at the zeros (log-format.ts).
//
// Durability: the log is opened with O_DSYNC, so write() returns only once its data (and the file size
// needed to read it back) is on stable storage, which is what write() + fdatasync() guarantees (POSIX
// synchronized I/O data integrity completion; on Linux both end in vfs_fsync_range). One system call is
// one thread-pool round trip instead of two (bench/watermark.ts measures both). Where O_DSYNC does not
// exist the writer falls back to write() + fdatasync().
//
// A write that fails for want of space (ENOSPC, EDQUOT, a short write) disables the log until a probe
// shows space is back: at most once per probe interval, a request (or a readiness check) writes and
// syncs a probe file next to the log, then cuts the log back to its last durable batch (what lies past
// it is the failed batch, never acknowledged nor applied) and syncs it; appends then resume at that
// offset. Any other write error (EIO: a failing device, whose dirty pages Linux may have dropped), and
// any compaction failure, keep the log disabled until a restart re-reads it.
//
// A lone request (the only one under way in the store) is written from the JS thread itself, with a
// blocking write, once the microtasks that hand its signature to the device have run: nothing else is
// waiting for the thread, and a write through libuv's thread pool costs a second thread's wake-up and
// a completion back to this one on top of the sync, on the request's path. Only while the log's recent
// writes were fast (a moving average under LONE_SYNC_MAX_MS): behind slow storage the thread must not
// block for a sync's length, so those writes go through the thread pool as every batch of several
// requests does.
//
// Lines that need not be durable before anyone is answered (a signature recorded after its height was
// made durable: a reservation, serialised-store.ts) are deferred: they ride with the next batch, or are
// written on their own shortly after when no batch comes, so they never cost a request its own sync.
//
// The log grows, so once it is several times the size of the live marks it is rewritten (compaction)
// to a fresh file that is synced, renamed over the log, and made durable with a directory fsync;
// amortised this stays O(1) per request.

import { constants, fdatasyncSync, writeSync } from 'node:fs';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StoreUnavailableError } from './errors.js';
import { encodeBatch, LOG_HEADER } from './log-format.js';

/** Compaction output is split into batches of about this size. */
const COMPACT_BATCH_BYTES = 1024 * 1024;
/** The log is compacted when it exceeds both this size and `growth` times its size right after the last compaction. */
export const DEFAULT_COMPACT_MIN_BYTES = 8 * 1024 * 1024;
const GROWTH = 4;

interface Pending {
  line: string;
  /** Applied right after the batch is durable, before anyone is answered or the log is compacted. */
  apply: () => void;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface AppendLogOptions {
  compactMinBytes?: number;
  /** Lines describing every live mark, for compaction. */
  snapshot: () => string[];
  /** Least time between two probes of a disabled log (see above); default PROBE_INTERVAL_MS. */
  probeIntervalMs?: number;
  /** Told when the log is disabled and when it resumes. */
  notify?: (message: string) => void;
  /** How long a deferred line waits for a batch before it is written alone; default DEFER_FLUSH_MS. */
  deferFlushMs?: number;
  /** A lone request is written from the JS thread while recent writes average below this; default LONE_SYNC_MAX_MS, 0 never. */
  loneSyncMaxMs?: number;
}

export const PROBE_INTERVAL_MS = 1_000;
/** How long a deferred line waits for a batch to ride with before it is written on its own. */
export const DEFER_FLUSH_MS = 50;
/** Errors that mean "no space now", which freeing space cures. */
const SPACE_ERRORS = new Set(['ENOSPC', 'EDQUOT']);
const PROBE_BYTES = 4096;
/** A lone request's write blocks the JS thread only while recent writes average less than this (see above). */
export const LONE_SYNC_MAX_MS = 1;
/** Weight of the newest write in that moving average. */
const WRITE_MS_WEIGHT = 0.25;
/** Zeros written ahead at a time (see above): a few hundred marks' worth. */
export const PREALLOCATE_BYTES = 64 * 1024;

/** Writes and syncs a probe file of a few pages, then removes it: throws when there is no room. */
async function probeWrite(path: string): Promise<void> {
  const fh = await open(path, 'w', 0o600);
  try {
    const { bytesWritten } = await fh.write(Buffer.alloc(PROBE_BYTES), 0, PROBE_BYTES, 0);
    if (bytesWritten !== PROBE_BYTES) throw new Error('short write');
    await fh.sync();
  } finally {
    await fh.close().catch(() => {});
    await unlink(path).catch(() => {});
  }
}

/** O_DSYNC, or 0 on a platform without it (then every batch is followed by an explicit fdatasync). */
const O_DSYNC: number = constants.O_DSYNC ?? 0;

/** Opens an existing log for appending, each write durable before it returns (see above). */
export function openLog(path: string): Promise<FileHandle> {
  return open(path, constants.O_RDWR | O_DSYNC);
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `lines` as a brand-new log at `path` durably: temp file, fsync, rename, directory fsync. */
export async function writeFreshLog(path: string, lines: readonly string[]): Promise<number> {
  const tmp = `${path}.compact`;
  const fh = await open(tmp, 'w', 0o600);
  let size = 0;
  try {
    const parts: Buffer[] = [LOG_HEADER];
    let chunk: string[] = [];
    let chunkBytes = 0;
    for (const line of lines) {
      chunk.push(line);
      chunkBytes += line.length;
      if (chunkBytes >= COMPACT_BATCH_BYTES) {
        parts.push(encodeBatch(chunk));
        chunk = [];
        chunkBytes = 0;
      }
    }
    if (chunk.length > 0) parts.push(encodeBatch(chunk));
    const buf = Buffer.concat(parts);
    await fh.write(buf, 0, buf.length, 0);
    await fh.sync();
    size = buf.length;
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  await syncDir(dirname(path));
  return size;
}

export class AppendLog {
  private queue: Pending[] = [];
  /** Deferred lines (see above), written ahead of the next batch's own. */
  private deferred: string[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private failure: StoreUnavailableError | null = null;
  /** The failure is for want of space: a successful probe may lift it. */
  private resumable = false;
  private lastProbe = 0;
  private resuming: Promise<boolean> | null = null;
  private baseline: number;
  private readonly compactMinBytes: number;
  /** Counters for tests and benches: how many batches / syncs / compactions happened. */
  readonly stats = { batches: 0, records: 0, compactions: 0, loneSyncWrites: 0 };
  /** Moving average of the log's durable writes, ms (see above). */
  private writeMs = 0;
  /** True while other requests are under way beside the queued ones: a lone write must not block them. */
  othersWaiting: () => boolean = () => false;

  /** The file's length: [size, allocated) holds zeros written ahead (see above). */
  private allocated: number;

  constructor(
    private readonly path: string,
    private fh: FileHandle,
    private size: number,
    private readonly opts: AppendLogOptions,
    fileLength = size,
  ) {
    this.allocated = Math.max(size, fileLength);
    this.baseline = size;
    this.compactMinBytes = opts.compactMinBytes ?? DEFAULT_COMPACT_MIN_BYTES;
  }

  /** Why the log stopped accepting writes, if it did (a failed write or sync: see pump()). */
  get failed(): StoreUnavailableError | null {
    return this.failure;
  }

  /** True when the log is disabled for want of space and a probe may be tried now. */
  get probeDue(): boolean {
    return (
      this.failure !== null &&
      this.resumable &&
      Date.now() - this.lastProbe >= (this.opts.probeIntervalMs ?? PROBE_INTERVAL_MS)
    );
  }

  /**
   * For a log disabled for want of space, once per probe interval: probe, cut the failed batch off and
   * resume (see above). Resolves to whether the log takes writes now.
   */
  resume(): Promise<boolean> {
    if (this.failure === null) return Promise.resolve(true);
    if (!this.probeDue) return Promise.resolve(false);
    this.resuming ??= this.tryResume().finally(() => {
      this.resuming = null;
    });
    return this.resuming;
  }

  private async tryResume(): Promise<boolean> {
    this.lastProbe = Date.now();
    // No batch is written while the log is disabled (pump() rejects them), so the file is ours.
    try {
      await probeWrite(`${this.path}.probe`);
      await this.fh.truncate(this.size);
      await this.fh.sync();
    } catch {
      return false;
    }
    this.allocated = this.size;
    const was = this.failure;
    this.failure = null;
    this.resumable = false;
    this.opts.notify?.(
      `watermark log ${this.path}: a probe write succeeded, store resumed at offset ${this.size} ` +
        `(it was disabled: ${was?.message})`,
    );
    return true;
  }

  get bytes(): number {
    return this.size;
  }

  get handle(): FileHandle {
    return this.fh;
  }

  /** Resolves once `line` is on disk (a durable write, see above) and `apply` has run. */
  append(line: string, apply: () => void): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, apply, resolve, reject });
      this.pumping ??= this.pump().finally(() => {
        this.pumping = null;
      });
    });
  }

  /**
   * Queues `line` to be written with the next batch, or on its own after DEFER_FLUSH_MS; nobody waits
   * for it. Dropped when the log is disabled: a restart reads back what was durable before.
   */
  appendLater(line: string): void {
    if (this.failure) return;
    this.deferred.push(line);
    if (this.pumping === null) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null || this.deferred.length === 0) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flushDeferred();
    }, this.opts.deferFlushMs ?? DEFER_FLUSH_MS);
    // A pending flush must not keep the process alive: close() writes what is left.
    this.flushTimer.unref();
  }

  private flushDeferred(): void {
    if (this.deferred.length === 0 || this.pumping) return;
    this.pumping = this.pump(true).finally(() => {
      this.pumping = null;
    });
  }

  /** Waits until everything queued so far is durable (or failed); deferred lines are written now. */
  async drain(): Promise<void> {
    // A pump under way writes its queue but leaves lines deferred meanwhile to a timer: flush after it.
    for (;;) {
      if (this.pumping) await this.pumping;
      else if (this.deferred.length > 0) this.flushDeferred();
      else return;
    }
  }

  private async pump(flush = false): Promise<void> {
    // One batch at a time; whatever queues up meanwhile forms the next batch (group commit). Deferred
    // lines go first: each was queued after its reservation was durable, so before any later line of
    // its slot, and the log is read back last line wins.
    let force = flush;
    try {
      let lone = this.lone() && this.writeMs < (this.opts.loneSyncMaxMs ?? LONE_SYNC_MAX_MS);
      // Let the microtasks queued with this request (the device's sign among them) run before the
      // thread blocks: the write and the signature then overlap.
      if (lone) await new Promise(setImmediate);
      while (this.queue.length > 0 || (force && this.deferred.length > 0)) {
        force = false;
        await this.writeBatch(lone && this.lone());
        lone = false;
      }
    } finally {
      if (this.deferred.length > 0) this.scheduleFlush();
    }
  }

  private lone(): boolean {
    return this.queue.length === 1 && !this.othersWaiting();
  }

  /** Writes the deferred lines and the queued batch as one durable write; `blocking`: from this thread (see above). */
  private async writeBatch(blocking = false): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    const deferred = this.deferred;
    this.deferred = [];
    if (this.failure) {
      for (const p of batch) p.reject(this.failure);
      return;
    }
    try {
      const lines =
        deferred.length === 0 ? batch.map((p) => p.line) : [...deferred, ...batch.map((p) => p.line)];
      const buf = encodeBatch(lines);
      if (this.size + buf.length > this.allocated) await this.writeAhead(this.size + buf.length);
      const started = performance.now();
      let bytesWritten: number;
      if (blocking) {
        bytesWritten = writeSync(this.fh.fd, buf, 0, buf.length, this.size);
        if (O_DSYNC === 0 && bytesWritten === buf.length) fdatasyncSync(this.fh.fd);
        this.stats.loneSyncWrites++;
      } else {
        ({ bytesWritten } = await this.fh.write(buf, 0, buf.length, this.size));
        if (O_DSYNC === 0 && bytesWritten === buf.length) await this.fh.datasync();
      }
      this.writeMs += (performance.now() - started - this.writeMs) * WRITE_MS_WEIGHT;
      // A short write (disk full) leaves a torn batch: fail like any other write error below.
      if (bytesWritten !== buf.length) throw new Error(`short write: ${bytesWritten} of ${buf.length} bytes`);
      this.size += buf.length;
    } catch (err) {
      // After a failed write or fsync the file's tail is unknown (and Linux may have dropped the
      // dirty pages): appending after it could bury a torn batch mid-file. Stop; a restart re-reads
      // the log and discards a torn final batch.
      const code = (err as NodeJS.ErrnoException).code;
      this.resumable = code === undefined || SPACE_ERRORS.has(code);
      this.lastProbe = Date.now();
      this.failure = new StoreUnavailableError(
        `watermark log ${this.path}: write failed, store disabled: ${(err as Error).message}`,
      );
      this.opts.notify?.(
        `${this.failure.message}; ${this.resumable ? 'it resumes once a probe write succeeds' : 'restart the signer once the device is fixed'}`,
      );
      for (const p of batch) p.reject(this.failure);
      return;
    }
    this.stats.batches++;
    this.stats.records += batch.length + deferred.length;
    for (const p of batch) p.apply();
    for (const p of batch) p.resolve();
    if (this.size > this.compactMinBytes && this.size > GROWTH * this.baseline) await this.compact();
  }

  /** Extends the file with zeros, durably, to at least `end` (see above). Throws like any failed write. */
  private async writeAhead(end: number): Promise<void> {
    const target = Math.max(end, this.allocated + PREALLOCATE_BYTES);
    const zeros = Buffer.alloc(target - this.allocated);
    const { bytesWritten } = await this.fh.write(zeros, 0, zeros.length, this.allocated);
    if (bytesWritten !== zeros.length)
      throw new Error(`short write: ${bytesWritten} of ${zeros.length} bytes written ahead`);
    if (O_DSYNC === 0) await this.fh.datasync();
    this.allocated = target;
  }

  /** Rewrites the log with only the live marks. Runs between batches, so no append is in flight. */
  async compact(): Promise<void> {
    try {
      // The snapshot holds every deferred line's mark already.
      const lines = this.opts.snapshot();
      this.deferred = [];
      const size = await writeFreshLog(this.path, lines);
      const old = this.fh;
      this.fh = await openLog(this.path);
      await old.close().catch(() => {});
      this.size = size;
      this.allocated = size;
      this.baseline = size;
      this.stats.compactions++;
    } catch (err) {
      // Where it failed decides whether the path still names the file our handle writes to (before the
      // rename) or a new file whose directory entry may not be durable (after it). Do not guess: stop
      // taking writes; a restart re-reads whichever log the path names, and both hold every mark.
      this.resumable = false;
      this.failure = new StoreUnavailableError(
        `watermark log ${this.path}: compaction failed, store disabled: ${(err as Error).message}`,
      );
      this.opts.notify?.(`${this.failure.message}; restart the signer once the disk is fixed`);
    }
  }

  async close(): Promise<void> {
    await this.drain();
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    await this.fh.close();
  }
}
