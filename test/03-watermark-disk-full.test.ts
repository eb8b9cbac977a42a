// A real full disk (a small tmpfs): writes fail, the store answers "unavailable" and signs nothing
// durable; once space is back a probe write succeeds, the store says so and resumes by itself, with
// every acknowledged mark kept, the failed batch gone, and a log that reopens clean.

import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/watermark/errors.js';
import { FileStore, LOG_NAME } from '../src/watermark/file-store.js';
import { parseLog } from '../src/watermark/log-format.js';
import { RESERVED } from '../src/watermark/rule.js';
import { mountTmpfs, type Tmpfs } from './helpers/tmpfs.js';
import { CountingSigner, request, slot } from './helpers/watermark.js';

let fs: Tmpfs;
let dir: string;
const notes: string[] = [];

beforeEach(() => {
  fs = mountTmpfs('size=256k');
  dir = join(fs.dir, 'wm');
  notes.length = 0;
});
afterEach(() => {
  fs.unmount();
});

/** Fills the filesystem: the write that no longer fits throws ENOSPC, leaving what did fit. */
async function fill(path: string): Promise<void> {
  await expect(writeFile(path, Buffer.alloc(1024 * 1024, 1))).rejects.toThrow(/ENOSPC/);
}

describe('file store on a full disk', () => {
  it('refuses while the disk is full, then resumes by itself once a probe write succeeds', async () => {
    const store = await FileStore.open(dir, { onRecovery: (m) => notes.push(m), probeIntervalMs: 0 });
    const hsm = new CountingSigner();
    const s = slot('attestation');
    const acked = new Map<number, string>();
    const filler = join(fs.dir, 'filler');
    await fill(filler);
    // The log's last page may still hold a few batches; sign until the disk really refuses.
    let failedAt = 0;
    for (let level = 1; level <= 200 && failedAt === 0; level++) {
      const r = request(level, 0);
      try {
        const d = await store.signOnce(s, r, hsm.signer(r));
        acked.set(level, d.outcome === 'signed' ? d.signature : '');
      } catch (err) {
        expect(err).toBeInstanceOf(StoreUnavailableError);
        expect(String(err)).toMatch(/write failed, store disabled: .*(ENOSPC|short write)/);
        failedAt = level;
      }
    }
    expect(failedAt).toBeGreaterThan(0);
    expect(notes.at(-1)).toMatch(/it resumes once a probe write succeeds/);
    // Still full: probes fail, requests are refused, readiness fails.
    const r2 = request(failedAt + 1, 0);
    await expect(store.signOnce(s, r2, hsm.signer(r2))).rejects.toThrow(StoreUnavailableError);
    await expect(store.check()).rejects.toThrow(/store disabled/);
    // Space is back: the next request probes, resumes and is signed; it is said once.
    await rm(filler);
    const r3 = request(failedAt + 2, 0);
    expect((await store.signOnce(s, r3, hsm.signer(r3))).outcome).toBe('signed');
    await store.check();
    expect(notes.filter((n) => /a probe write succeeded, store resumed/.test(n))).toHaveLength(1);
    await store.close();

    // The log holds every acknowledged mark and the new one, and nothing of the failed batch.
    const parsed = parseLog(readFileSync(join(dir, LOG_NAME)));
    expect(parsed.torn).toBeNull();
    // Each height was reserved in a batch of its own before its answer; each signature was recorded in
    // the batch after. The last acknowledged signature's record may have been in the failed batch:
    // then its reservation stands for it.
    const ackedLevels = [...acked.keys()];
    const reserved = parsed.entries.filter((e) => e.mark.signature === RESERVED);
    const recorded = parsed.entries.filter((e) => e.mark.signature !== RESERVED);
    expect(reserved.map((e) => e.mark.level)).toEqual([...ackedLevels, failedAt + 2]);
    expect(recorded.at(-1)?.mark.level).toBe(failedAt + 2);
    const before = recorded.slice(0, -1);
    expect(before.length).toBeGreaterThanOrEqual(ackedLevels.length - 1);
    for (const e of before) expect(e.mark.signature).toBe(acked.get(e.mark.level));
    expect(before.map((e) => e.mark.level)).toEqual(ackedLevels.slice(0, before.length));
    const again = await FileStore.open(dir, { onRecovery: (m) => notes.push(m) });
    expect((await again.get(s))?.level).toBe(failedAt + 2);
    expect(again.recovered).toBeNull();
    await again.close();
  });

  it('is ready again through the readiness check alone, with no request', async () => {
    const store = await FileStore.open(dir, { onRecovery: (m) => notes.push(m), probeIntervalMs: 0 });
    const hsm = new CountingSigner();
    const filler = join(fs.dir, 'filler');
    await fill(filler);
    let failed = false;
    for (let level = 1; level <= 200 && !failed; level++) {
      const r = request(level, 0);
      failed = await store.signOnce(slot(), r, hsm.signer(r)).then(
        () => false,
        () => true,
      );
    }
    expect(failed).toBe(true);
    await expect(store.check()).rejects.toThrow(/store disabled/);
    await rm(filler);
    await store.check();
    await store.close();
  });
});
