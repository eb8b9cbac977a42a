// The file backend on a real disk: persistence, torn final batch, corruption, versions, the directory
// lock (03-watermark-dir-lock.test.ts has its cases), group commit, compaction and failure handling.

import { constants, readFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PREALLOCATE_BYTES } from '../src/watermark/append-log.js';
import { StoreUnavailableError } from '../src/watermark/errors.js';
import {
  FileStore,
  type FileStoreOptions,
  LOG_NAME,
  WatermarkOpenError,
} from '../src/watermark/file-store.js';
import { encodeBatch, LOG_HEADER, parseLog } from '../src/watermark/log-format.js';
import { openStore } from '../src/watermark/open-store.js';
import { RESERVED } from '../src/watermark/rule.js';
import type { SlotKey } from '../src/watermark/store.js';
import { CountingSigner, FileStores, PKH2, pkhN, request, slot, tempDir } from './helpers/watermark.js';

let dir: string;
let cleanup: () => Promise<void>;
let logPath: string;
let hsm: CountingSigner;
const stores = new FileStores(() => dir);
const openFile = (opts?: FileStoreOptions) => stores.open(opts);

/** Where each batch of a log starts (its length field; log-format.ts), up to the zeros written ahead. */
function batchStarts(buf: Buffer): number[] {
  const starts: number[] = [];
  for (let p = LOG_HEADER.length; p < buf.length && buf.readUInt32BE(p) !== 0; p += 12 + buf.readUInt32BE(p))
    starts.push(p);
  return starts;
}

/** Where the log's batches end (zeros written ahead may follow). */
function logEnd(buf: Buffer): number {
  return parseLog(buf).validLength;
}

/** Signs `levels` on `s` one at a time; returns the signatures. */
async function signLevels(store: FileStore, s: SlotKey, levels: number[]): Promise<string[]> {
  const sigs: string[] = [];
  for (const level of levels) {
    const r = request(level, 0);
    const d = await store.signOnce(s, r, hsm.signer(r));
    if (d.outcome !== 'signed') throw new Error(`level ${level}: ${d.outcome}`);
    sigs.push(d.signature);
  }
  return sigs;
}

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  logPath = join(dir, LOG_NAME);
  hsm = new CountingSigner();
});
afterEach(async () => {
  await stores.closeAll();
  await cleanup();
});

describe('file store persistence', () => {
  it('keeps marks and signatures across reopen; a repeat after reopen is not re-signed', async () => {
    const a = await openFile();
    const s1 = slot('block');
    const s2 = slot('attestation', PKH2);
    const r1 = request(41, 3);
    const d1 = await a.signOnce(s1, r1, hsm.signer(r1));
    await signLevels(a, s2, [5, 6, 7]);
    await a.close();
    const b = await openFile();
    expect(b.recovered).toBeNull();
    expect((await b.list()).length).toBe(2);
    expect((await b.get(s2))?.level).toBe(7);
    const again = await b.signOnce(s1, r1, hsm.signer(r1));
    expect(again).toEqual({ outcome: 'repeat', signature: d1.outcome === 'signed' ? d1.signature : 'x' });
    expect(hsm.verify(again.outcome === 'repeat' ? again.signature : '', r1)).toBe(true);
    const low = request(41, 2);
    expect((await b.signOnce(s1, low, hsm.signer(low))).outcome).toBe('refused');
    expect(hsm.calls).toBe(4);
  });

  it('drops a batch cut short at the end of the file and keeps every complete one', async () => {
    const a = await openFile();
    const s = slot('block');
    const sigs = await signLevels(a, s, [1, 2, 3, 4]);
    const r5 = request(5, 0);
    await a.signOnce(s, r5, hsm.signer(r5));
    await a.close();
    // The final batch is the last signature's record, written after its answer (its height was
    // reserved durably in the batch before): a crash then loses the record, not the height.
    await truncate(logPath, logEnd(await readFile(logPath)) - 7);
    const reports: string[] = [];
    const b = await openFile({ onRecovery: (m) => reports.push(m) });
    expect(await b.get(s)).toEqual({ level: 5, round: 0, hash: r5.hash, signature: RESERVED });
    expect(b.recovered?.reason).toBe('final batch cut short');
    expect(reports[0]).toContain(logPath);
    // A reserved height whose signature is lost refuses even its own bytes: re-signing them with ECDSA
    // would give a second, different signature at that height.
    const calls = hsm.calls;
    expect((await b.signOnce(s, r5, hsm.signer(r5))).outcome).toBe('refused');
    expect(hsm.calls).toBe(calls);
    // The torn bytes were cut off: new batches follow the intact ones and read back cleanly.
    await signLevels(b, s, [6]);
    await b.close();
    const c = await openFile();
    expect(c.recovered).toBeNull();
    expect((await c.get(s))?.level).toBe(6);
    expect(sigs).toHaveLength(4);
  });

  it('drops a torn batch header and a final batch whose data never landed; zeros after the log are its end', async () => {
    const a = await openFile();
    const s = slot('preattestation');
    await signLevels(a, s, [10, 11]);
    await a.close();
    const intact = await readFile(logPath);
    const end = logEnd(intact);
    expect(intact.length).toBeGreaterThan(end); // space written ahead

    // Each case: the intact log, then what a crash during the next batch's write could leave.
    const cases: Array<[string, Buffer, string | null]> = [
      [
        'first bytes of a header, zeros after',
        Buffer.from([0, 0, 1]),
        'incomplete batch header at end of the log',
      ],
      ['only zeros (space written ahead, or a size that landed without its data)', Buffer.alloc(4096), null],
      // Header written, the body's pages read back as zeros.
      [
        'a header over a zeroed body',
        encodeBatch(['{"x":1}\n']).fill(0, 12),
        'checksum mismatch in final batch',
      ],
    ];
    for (const [what, damage, reason] of cases) {
      const buf = Buffer.from(intact);
      damage.copy(buf, end);
      await writeFile(logPath, buf);
      const b = await openFile();
      expect(b.recovered?.reason ?? null, what).toBe(reason);
      expect((await b.get(s))?.level).toBe(11);
      await b.close();
      if (reason !== null) expect((await stat(logPath)).size, what).toBe(end);
    }
    // A log whose file ends right after a torn header (no zeros after it).
    await writeFile(logPath, Buffer.concat([intact.subarray(0, end), Buffer.from([0, 0, 1])]));
    const c = await openFile();
    expect(c.recovered?.reason).toBe('incomplete batch header at end of file');
  });

  it('writes batches over zeros written ahead: the file length changes once per chunk, not per batch', async () => {
    const a = await openFile();
    const s = slot('block');
    await signLevels(a, s, [1]);
    const length = (await stat(logPath)).size;
    expect(length).toBeGreaterThanOrEqual(PREALLOCATE_BYTES);
    await signLevels(a, s, [2, 3, 4, 5, 6, 7, 8]);
    expect((await stat(logPath)).size).toBe(length);
    expect(logEnd(await readFile(logPath))).toBeLessThan(length);
    // Filling the chunk extends the file by another chunk, and the log reads back whole.
    const levels = Array.from({ length: 400 }, (_, i) => i + 9);
    await signLevels(a, s, levels);
    expect((await stat(logPath)).size).toBeGreaterThan(length);
    await a.close();
    const b = await openFile();
    expect(b.recovered).toBeNull();
    expect((await b.get(s))?.level).toBe(408);
  });

  it('refuses a log corrupted in the middle, naming the file, and releases its lock', async () => {
    const a = await openFile();
    const s = slot('block');
    await signLevels(a, s, [1, 2, 3, 4, 5]);
    await a.close();
    const buf = await readFile(logPath);
    const starts = batchStarts(buf);
    // A byte inside the second batch's body (its JSON), then one inside its length field.
    const body = Buffer.from(buf);
    body[starts[1]! + 40]! ^= 0x01;
    await writeFile(logPath, body);
    await expect(openFile()).rejects.toThrow(WatermarkOpenError);
    await expect(openFile()).rejects.toThrow(
      new RegExp(`${logPath}.*checksum mismatch in batch at byte ${starts[1]}`),
    );
    const len = Buffer.from(buf);
    len[starts[1]! + 3]! ^= 0x40;
    await writeFile(logPath, len);
    await expect(openFile()).rejects.toThrow(/corrupted batch header/);
    // A flipped byte in the last batch's length is not mistaken for a torn write either.
    const lastLen = Buffer.from(buf);
    lastLen[starts.at(-1)! + 3]! ^= 0x40;
    await writeFile(logPath, lastLen);
    await expect(openFile()).rejects.toThrow(/corrupted batch header/);
    // Failed opens did not leave the directory locked.
    await writeFile(logPath, buf);
    const ok = await openFile();
    expect((await ok.get(s))?.level).toBe(5);
  });

  it('refuses an unknown version, a foreign file, an unreadable log and a bad entry', async () => {
    await writeFile(logPath, 'tezos-hsm-signer watermark log v2\n');
    await expect(openFile()).rejects.toThrow(/unsupported watermark log version "2"/);
    await writeFile(logPath, '{"level": 5}\n');
    await expect(openFile()).rejects.toThrow(/not a tezos-hsm-signer watermark log/);
    await writeFile(logPath, '');
    await expect(openFile()).rejects.toThrow(logPath);
    await unlink(logPath);
    await mkdir(logPath);
    await expect(openFile()).rejects.toThrow(new RegExp(`cannot read watermark log ${logPath}`));
    await unlink(logPath).catch(() => {});
    await import('node:fs/promises').then((fs) => fs.rmdir(logPath));
    // Checksum right, content wrong: written by something else, refused rather than half-read.
    const bad = encodeBatch([
      '{"c":"NetXdQprcVkpaWU","p":"tz1x","k":"block","l":-5,"r":0,"h":"00","s":"s"}\n',
    ]);
    await writeFile(logPath, Buffer.concat([LOG_HEADER, bad, encodeBatch(['{}\n'])]));
    await expect(openFile()).rejects.toThrow(/bad entry in batch at byte/);
  });
});

describe('openStore()', () => {
  it('opens the configured backend and names what is missing', async () => {
    const mem = await openStore({ backend: 'memory' });
    await mem.check();
    await mem.close();
    const file = await openStore({ backend: 'file', dir: join(dir, 'nested', 'wm') });
    expect(file).toBeInstanceOf(FileStore);
    await file.close();
    await expect(openStore({ backend: 'file' })).rejects.toThrow(
      'watermark.backend file needs watermark.dir',
    );
    await expect(openStore({ backend: 'postgres' })).rejects.toThrow('needs watermark.url');
    await expect(openStore({ backend: 'sqlite' as 'file' })).rejects.toThrow(
      'unknown watermark.backend "sqlite"',
    );
  });
});

describe('file store writer', () => {
  it('commits concurrent requests on different slots in shared syncs (group commit)', async () => {
    const a = await openFile();
    const n = 256;
    const out = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const r = request(1000 + i, 0);
        const s = { chainId: 'NetXdQprcVkpaWU', pkh: pkhN(i), kind: 'block' as const };
        return a.signOnce(s, r, hsm.signer(r));
      }),
    );
    expect(out.every((d) => d.outcome === 'signed')).toBe(true);
    expect(a.stats.records).toBe(n);
    expect(a.stats.batches).toBeLessThan(n / 4);
    await a.close();
    expect((await (await openFile()).list()).length).toBe(n);
  });

  it('writes a lone request from the JS thread once its sign has started; requests at once share the thread pool', async () => {
    // No timer flushes records here (they ride with the next write), and no write is too slow to block.
    const a = await openFile({ deferFlushMs: 60_000, loneSyncMaxMs: Number.POSITIVE_INFINITY });
    const s = slot('block');
    const levelsOnDisk = () =>
      parseLog(readFileSync(logPath))
        .entries.filter((e) => e.slot.kind === 'block')
        .map((e) => e.mark.level);
    for (const level of [1, 2, 3]) {
      const r = request(level, 0);
      let atSign: number[] = [];
      const d = await a.signOnce(s, r, async () => {
        // The device is asked before the blocking write: the reservation is not on disk yet.
        atSign = levelsOnDisk();
        return hsm.signer(r)();
      });
      expect(d.outcome).toBe('signed');
      expect(atSign).not.toContain(level);
      expect(levelsOnDisk()).toContain(level);
    }
    expect(a.stats.loneSyncWrites).toBe(3);
    const n = 64;
    const out = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const r = request(10, 0);
        return a.signOnce(slot('block', pkhN(i)), r, hsm.signer(r));
      }),
    );
    expect(out.every((d) => d.outcome === 'signed')).toBe(true);
    expect(a.stats.loneSyncWrites).toBe(3);
    // A request whose sign is still under way is not alone: the next one's write goes through the pool.
    const slowReq = request(20, 0);
    const slowSign = a.signOnce(slot('block', pkhN(1)), slowReq, hsm.signer(slowReq, 200));
    await new Promise((r) => setTimeout(r, 50));
    expect(a.stats.loneSyncWrites).toBe(4);
    const next = request(21, 0);
    expect((await a.signOnce(slot('block', pkhN(2)), next, hsm.signer(next))).outcome).toBe('signed');
    expect((await slowSign).outcome).toBe('signed');
    expect(a.stats.loneSyncWrites).toBe(4);
  });

  it('behind writes slower than loneSyncMaxMs a lone request goes through the thread pool; 0 turns it off', async () => {
    const slow = await openFile({ loneSyncMaxMs: 1e-6 });
    await signLevels(slow, slot('block'), [1, 2, 3, 4, 5]);
    // The average starts at zero, so the first write blocks; every real write is slower than a nanosecond.
    expect(slow.stats.loneSyncWrites).toBe(1);
    await slow.close();
    const off = await openFile({ loneSyncMaxMs: 0 });
    await signLevels(off, slot('block'), [6, 7, 8]);
    expect(off.stats.loneSyncWrites).toBe(0);
    expect((await off.get(slot('block')))?.level).toBe(8);
  });

  it('close() also writes the records deferred while the last batch was being written', async () => {
    const a = await openFile({ deferFlushMs: 60_000, loneSyncMaxMs: 0 });
    const [ra, rb] = [request(1, 0), request(1, 0)];
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    const signedA = a.signOnce(slot('block', pkhN(1)), ra, async () => {
      await gate;
      return hsm.signer(ra)();
    });
    await new Promise((r) => setTimeout(r, 20)); // A's reservation is durable, its sign waits
    let closing: Promise<void> | null = null;
    const signedB = a.signOnce(slot('block', pkhN(2)), rb, async () => {
      // B's batch is being written: A's signature is recorded meanwhile, and the store is closed.
      openGate();
      closing = a.close();
      return hsm.signer(rb)();
    });
    const da = await signedA;
    await signedB.catch(() => {});
    await closing;
    expect(da.outcome).toBe('signed');
    const b = await openFile();
    const mark = await b.get(slot('block', pkhN(1)));
    expect(mark?.signature).toBe(da.outcome === 'signed' ? da.signature : 'none');
  });

  it('compacts the log to the live marks and reopens to the same marks', async () => {
    const a = await openFile({ compactMinBytes: 4096 });
    const slots = [slot('block'), slot('preattestation'), slot('attestation')];
    const levels = Array.from({ length: 150 }, (_, i) => i + 1);
    const last = await Promise.all(slots.map((s) => signLevels(a, s, levels)));
    expect(a.stats.compactions).toBeGreaterThan(0);
    expect(logEnd(await readFile(logPath))).toBeLessThan(4 * 4096);
    await a.close();
    const b = await openFile();
    for (const [i, s] of slots.entries()) {
      const m = await b.get(s);
      expect(m?.level).toBe(150);
      expect(m?.signature).toBe(last[i]![149]);
    }
  });

  it('after a failed write: rejects, keeps the old mark, then refuses work and readiness', async () => {
    const a = await openFile();
    const s = slot('block');
    await signLevels(a, s, [1]);
    // Pull the file descriptor from under the writer: the next write fails with EBADF.
    await (a as unknown as { log: { fh: { close(): Promise<void> } } }).log.fh.close();
    const r = request(2, 0);
    await expect(a.signOnce(s, r, hsm.signer(r))).rejects.toThrow(StoreUnavailableError);
    expect((await a.get(s))?.level).toBe(1);
    await expect(a.check()).rejects.toThrow(/write failed/);
    await expect(a.signOnce(s, request(3, 0), hsm.signer(r))).rejects.toThrow(StoreUnavailableError);
    expect(hsm.calls).toBe(2);
  });

  it('a short write disables the store; reopening drops the torn batch and keeps the old mark', async () => {
    // Through the thread pool, where the test can shorten the handle's write.
    const a = await openFile({ loneSyncMaxMs: 0 });
    const s = slot('block');
    await signLevels(a, s, [1]);
    // The disk takes only part of the next batch (as with ENOSPC mid-write).
    const fh = (a as unknown as { log: { fh: FileHandle } }).log.fh;
    const write = fh.write.bind(fh) as (
      b: Buffer,
      o: number,
      l: number,
      p: number,
    ) => ReturnType<FileHandle['write']>;
    Object.assign(fh, { write: (b: Buffer, o: number, l: number, p: number) => write(b, o, l - 10, p) });
    const r = request(2, 0);
    await expect(a.signOnce(s, r, hsm.signer(r))).rejects.toThrow(/short write/);
    expect((await a.get(s))?.level).toBe(1);
    await expect(a.signOnce(s, request(3, 0), hsm.signer(r))).rejects.toThrow(StoreUnavailableError);
    await a.close();
    const b = await openFile();
    // The batch landed short over the zeros written ahead: its checksum fails, zeros follow.
    expect(b.recovered?.reason).toBe('checksum mismatch in final batch');
    expect((await b.get(s))?.level).toBe(1);
  });

  it.runIf(process.platform === 'linux')(
    'appends through an O_DSYNC descriptor (each write durable when it returns), also after compaction',
    async () => {
      // flags in /proc/self/fdinfo are octal; O_DSYNC is 010000 on Linux (asm-generic/fcntl.h).
      const dsync = async (store: FileStore) => {
        const fd = (store as unknown as { log: { fh: FileHandle } }).log.fh.fd;
        const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8');
        return (Number.parseInt(/^flags:\s*([0-7]+)/m.exec(info)![1]!, 8) & constants.O_DSYNC) !== 0;
      };
      const a = await openFile({ compactMinBytes: 4096 });
      expect(await dsync(a)).toBe(true);
      await signLevels(
        a,
        slot('block'),
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      expect(a.stats.compactions).toBeGreaterThan(0);
      expect(await dsync(a)).toBe(true);
    },
  );

  it('check() fails when the log file is removed under the store', async () => {
    const a = await openFile();
    await a.check();
    await unlink(logPath);
    await expect(a.check()).rejects.toThrow(/replaced or removed/);
  });
});
