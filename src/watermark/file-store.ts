// The file backend (the default): marks live in an append-only, checksummed log in `dir` (format in
// log-format.ts, writer and group commit in append-log.ts) and in a Map indexed by slot. A directory
// lock keeps a second signer out. open() refuses, naming the file, anything it cannot fully trust,
// except a damaged final batch, which was never acknowledged (see log-format.ts) and is dropped with
// a report: it never starts from an empty watermark over a damaged one.

import { constants } from 'node:fs';
import { access, mkdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppendLog, openLog, writeFreshLog } from './append-log.js';
import { DirLockedError, lockDir } from './dir-lock.js';
import { StoreUnavailableError } from './errors.js';
import {
  encodeEntry,
  LOG_HEADER,
  type LogEntry,
  LogFormatError,
  parseLog,
  type TornTail,
} from './log-format.js';
import { SerialisedStore } from './serialised-store.js';
import type { Mark, SlotKey } from './store.js';
import { slotId } from './validate.js';

export const LOG_NAME = 'watermarks.log';

export interface FileStoreOptions {
  /** Compaction threshold (tests lower it); see append-log.ts. */
  compactMinBytes?: number;
  /**
   * Told what a damaged final batch held when it was dropped on open, and when writes stop for want
   * of space and resume (append-log.ts). Default: process warning.
   */
  onRecovery?: (message: string) => void;
  /** Least time between probes of a log disabled for want of space (tests lower it). */
  probeIntervalMs?: number;
  /** How long a signature recorded after its answer waits for a batch to ride with (append-log.ts). */
  deferFlushMs?: number;
  /** A lone request's write blocks the JS thread while recent writes average below this, ms; 0 never (append-log.ts). */
  loneSyncMaxMs?: number;
}

/** The store could not be opened; the message names the file and what is wrong with it. */
export class WatermarkOpenError extends Error {
  override readonly name = 'WatermarkOpenError';
}

const errMsg = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** What an operator must fix, rather than the name of whichever file the failing call touched. */
function fsProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EROFS')
    return 'the filesystem is read-only (EROFS); the signer must write its watermarks there';
  return errMsg(err);
}

/** Why `dir` could not be created: Node's recursive mkdir says ENOENT when a parent is not writable. */
async function mkdirProblem(dir: string, err: unknown): Promise<string> {
  let d = dir;
  while (
    !(await stat(d).then(
      () => true,
      () => false,
    ))
  ) {
    if (dirname(d) === d) return fsProblem(err);
    d = dirname(d);
  }
  const denied = await access(d, constants.W_OK).then(
    () => null,
    (e: unknown) => e,
  );
  return fsProblem(denied ?? err);
}

export class FileStore extends SerialisedStore {
  private closed = false;

  private constructor(
    readonly path: string,
    marks: Map<string, LogEntry>,
    private readonly log: AppendLog,
    private readonly unlock: () => Promise<void>,
    /** What open() dropped from the end of the log, if anything. */
    readonly recovered: TornTail | null,
  ) {
    super(marks);
    log.othersWaiting = () => this.signing > 1;
  }

  static async open(dir: string, opts: FileStoreOptions = {}): Promise<FileStore> {
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw new WatermarkOpenError(
        `cannot create watermark directory ${dir}: ${await mkdirProblem(dir, err)}`,
      );
    }
    let unlock: () => Promise<void>;
    try {
      unlock = await lockDir(dir);
    } catch (err) {
      if (err instanceof DirLockedError) throw err;
      throw new WatermarkOpenError(`cannot lock watermark directory ${dir}: ${fsProblem(err)}`);
    }
    try {
      return await FileStore.load(dir, opts, unlock);
    } catch (err) {
      await unlock();
      throw err;
    }
  }

  private static async load(
    dir: string,
    opts: FileStoreOptions,
    unlock: () => Promise<void>,
  ): Promise<FileStore> {
    const path = join(dir, LOG_NAME);
    // A leftover from a crash during compaction: the rename never happened, so the log is authoritative.
    await unlink(`${path}.compact`).catch(() => {});
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new WatermarkOpenError(`cannot read watermark log ${path}: ${errMsg(err)}`);
      await writeFreshLog(path, []);
      buf = LOG_HEADER;
    }
    let parsed: ReturnType<typeof parseLog>;
    try {
      parsed = parseLog(buf);
    } catch (err) {
      if (!(err instanceof LogFormatError)) throw err;
      throw new WatermarkOpenError(
        `refusing to open watermark log ${path}: ${err.message}. ` +
          'Starting without it could double-sign; restore the file or rebuild the marks with `watermark set`.',
      );
    }
    const marks = new Map<string, LogEntry>();
    for (const e of parsed.entries) marks.set(slotId(e.slot), e);
    const notify = opts.onRecovery ?? ((msg: string) => process.emitWarning(msg, 'WatermarkRecovery'));
    const fh = await openLog(path);
    try {
      if (parsed.torn) {
        // Cut the damaged batch off before appending, or it would end up in the middle of the log.
        await fh.truncate(parsed.validLength);
        await fh.sync();
        const t = parsed.torn;
        const msg =
          `watermark log ${path}: dropped ${t.bytes} bytes at offset ${t.offset} (${t.reason}); ` +
          'this batch was never acknowledged, every acknowledged mark is kept';
        notify(msg);
      }
    } catch (err) {
      await fh.close();
      throw new WatermarkOpenError(`cannot repair watermark log ${path}: ${errMsg(err)}`);
    }
    // Zeros after the last batch are space written ahead: kept, the next batch goes over them.
    const fileLength = parsed.torn ? parsed.validLength : buf.length;
    const log = new AppendLog(
      path,
      fh,
      parsed.validLength,
      {
        compactMinBytes: opts.compactMinBytes,
        snapshot: () => [...marks.values()].map(encodeEntry),
        notify,
        ...(opts.probeIntervalMs !== undefined ? { probeIntervalMs: opts.probeIntervalMs } : {}),
        ...(opts.deferFlushMs !== undefined ? { deferFlushMs: opts.deferFlushMs } : {}),
        ...(opts.loneSyncMaxMs !== undefined ? { loneSyncMaxMs: opts.loneSyncMaxMs } : {}),
      },
      fileLength,
    );
    return new FileStore(path, marks, log, unlock, parsed.torn);
  }

  /** Batches, records and compactions so far (group commit is visible as records > batches). */
  get stats(): Readonly<AppendLog['stats']> {
    return this.log.stats;
  }

  protected write(slot: SlotKey, id: string, mark: Mark): Promise<void> {
    this.ensureOpen();
    return this.log.append(encodeEntry({ slot, mark }), () => this.keep(slot, id, mark));
  }

  protected record(slot: SlotKey, id: string, mark: Mark): void {
    this.log.appendLater(encodeEntry(this.keep(slot, id, mark)));
  }

  protected override beforeRequest(): Promise<boolean> | null {
    return this.log.probeDue ? this.log.resume() : null;
  }

  protected ensureOpen(): void {
    if (this.closed) throw new StoreUnavailableError(`watermark store ${this.path} is closed`);
    if (this.log.failed) throw this.log.failed;
  }

  /** Ready when writes still work and the path still names the file we append to. */
  async check(): Promise<void> {
    await this.beforeRequest();
    this.ensureOpen();
    const [onDisk, ours] = await Promise.all([stat(this.path).catch(() => null), this.log.handle.stat()]);
    if (!onDisk || onDisk.ino !== ours.ino || onDisk.dev !== ours.dev)
      throw new Error(`watermark log ${this.path} was replaced or removed while open`);
    await access(this.path, constants.W_OK);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.log.close();
    } finally {
      await this.unlock();
    }
  }
}
