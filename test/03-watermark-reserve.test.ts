// Writing the height ahead (docs/watermark.md, "Writing the height ahead"): the file and memory stores
// reserve a height durably while the device signs, answer once both are done, and record the signature
// after. Each crash window is hit with a real kill -9 of a child process on a real log; the rest checks
// the order in process: the write runs during the sign, nothing leaves before the height is durable, a
// failed sign gives its reservation back.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/watermark/errors.js';
import { FileStore, type FileStoreOptions, LOG_NAME } from '../src/watermark/file-store.js';
import { parseLog } from '../src/watermark/log-format.js';
import { MemoryStore } from '../src/watermark/memory-store.js';
import { RESERVED } from '../src/watermark/rule.js';
import type { Mark, SlotKey } from '../src/watermark/store.js';
import { mountTmpfs } from './helpers/tmpfs.js';
import { CountingSigner, FileStores, pkhN, request, slot, tempDir } from './helpers/watermark.js';

let dir: string;
let cleanup: () => Promise<void>;
let hsm: CountingSigner;
const stores = new FileStores(() => dir);
const openFile = (opts?: FileStoreOptions) => stores.open(opts);

/** The slot's last entry in the log on disk (what a restart would read). */
function lastOnDisk(s: SlotKey): Mark | undefined {
  const { entries } = parseLog(readFileSync(join(dir, LOG_NAME)));
  return entries.filter((e) => e.slot.pkh === s.pkh && e.slot.kind === s.kind).at(-1)?.mark;
}

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  hsm = new CountingSigner();
});
afterEach(async () => {
  await stores.closeAll();
  await cleanup();
});

/** Runs the child fixture in `mode` until `until` says so from its output, then kills it with SIGKILL. */
async function killChild(
  mode: 'hang' | 'ack',
  level: number,
  hash: string,
  until: (out: string) => boolean,
): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fixtures/watermark-reserve-child.ts', dir, mode, String(level), hash],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<string | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  child.stdout.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 20_000;
  while (!until(out)) {
    if (child.exitCode !== null) throw new Error(`child exited early: ${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`child never reached the window: ${out} ${err}`);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return out;
}

const childSlot: SlotKey = { chainId: 'NetXdQprcVkpaWU', pkh: pkhN(0), kind: 'block' };

describe('writing the height ahead: crash windows (kill -9)', () => {
  it('killed while the device signs, reservation durable: after restart the same bytes are refused', async () => {
    const r = request(7, 0);
    await killChild('hang', 7, r.hash, (out) => {
      if (!out.includes('signing\n')) return false;
      try {
        return lastOnDisk(childSlot)?.level === 7;
      } catch {
        return false; // the child may be mid-append
      }
    });
    const store = await openFile();
    expect(await store.get(childSlot)).toEqual({ level: 7, round: 0, hash: r.hash, signature: RESERVED });
    for (const again of [r, request(7, 0), request(6, 3)])
      expect((await store.signOnce(childSlot, again, hsm.signer(again))).outcome).toBe('refused');
    expect(hsm.calls).toBe(0);
    const up = request(7, 1);
    const d = await store.signOnce(childSlot, up, hsm.signer(up));
    expect(d.outcome).toBe('signed');
    expect(hsm.verify(d.outcome === 'signed' ? d.signature : '', up)).toBe(true);
  });

  it('killed after answering, before the signature was recorded: the answered height holds, its bytes are refused', async () => {
    const r = request(9, 0);
    const out = await killChild('ack', 9, r.hash, (o) => o.includes('\n') && o.startsWith('ack '));
    expect(out).toMatch(/^ack [0-9a-f]+\n$/);
    // The window was hit: the record never reached the disk, only the reservation.
    expect(lastOnDisk(childSlot)).toEqual({ level: 9, round: 0, hash: r.hash, signature: RESERVED });
    const store = await openFile();
    // An ECDSA re-sign of the same bytes would be a second signature at height 9: refused, not repeated.
    for (const again of [r, request(9, 0), request(8, 5)])
      expect((await store.signOnce(childSlot, again, hsm.signer(again))).outcome).toBe('refused');
    expect(hsm.calls).toBe(0);
  });
});

describe('writing the height ahead: order in process', () => {
  it('writes the reservation while the device signs (the sign waits to see it on disk)', async () => {
    const store = await openFile();
    const s = slot('attestation');
    const r = request(3, 1);
    const sign = hsm.signer(r);
    const d = await store.signOnce(s, r, async () => {
      // Only a write issued alongside the sign can land while this waits.
      for (let i = 0; i < 2000 && lastOnDisk(s)?.level !== 3; i++)
        await new Promise((res) => setTimeout(res, 1));
      expect(lastOnDisk(s)).toEqual({ level: 3, round: 1, hash: r.hash, signature: RESERVED });
      return sign();
    });
    expect(d.outcome).toBe('signed');
    // The signature is this process's mark at once (a repeat is answered), and reaches the disk later.
    const again = await store.signOnce(s, r, hsm.signer(r));
    expect(again).toEqual({ outcome: 'repeat', signature: d.outcome === 'signed' ? d.signature : '' });
    await store.close();
    expect(lastOnDisk(s)?.signature).toBe(d.outcome === 'signed' ? d.signature : '');
  });

  it('a signature whose reservation could not be written never leaves', async () => {
    const fs = mountTmpfs('size=256k');
    try {
      const store = await FileStore.open(join(fs.dir, 'wm'), { onRecovery: () => {} });
      const s = slot('block');
      const r = request(1, 0);
      expect((await store.signOnce(s, r, hsm.signer(r))).outcome).toBe('signed');
      // Fill the disk: once the space written ahead is used up, a reservation fails while its sign
      // succeeds.
      await expect(writeFile(join(fs.dir, 'filler'), Buffer.alloc(1 << 20))).rejects.toThrow(/ENOSPC/);
      let signed = 0;
      for (let level = 2; level < 5000; level++) {
        const next = request(level, 0);
        const inner = hsm.signer(next);
        try {
          await store.signOnce(s, next, async () => {
            const sig = await inner();
            signed++;
            return sig;
          });
        } catch (err) {
          expect(err).toBeInstanceOf(StoreUnavailableError);
          // The device did sign; the store threw instead of handing that signature out.
          expect(signed).toBe(level - 1);
          expect((await store.get(s))?.level).toBe(level - 1);
          await store.close();
          return;
        }
      }
      throw new Error('the disk never filled');
    } finally {
      fs.unmount();
    }
  });

  it.each([
    ['file', () => openFile()],
    ['memory', async () => new MemoryStore()],
  ])('%s: a failed sign gives its reservation back in this process', async (_name, make) => {
    const store = await make();
    const s = slot('preattestation');
    const first = request(10, 0);
    await store.signOnce(s, first, hsm.signer(first));
    const r = request(11, 0);
    await expect(
      store.signOnce(s, r, async () => {
        throw new Error('HSM timed out');
      }),
    ).rejects.toThrow('HSM timed out');
    expect((await store.get(s))?.level).toBe(10);
    // The same bytes, and other bytes at that height, may be signed now: nothing left for height 11.
    const d = await store.signOnce(s, r, hsm.signer(r));
    expect(d.outcome).toBe('signed');
    expect(hsm.verify(d.outcome === 'signed' ? d.signature : '', r)).toBe(true);
    // A sign() that throws before returning a promise is handled alike.
    const r2 = request(12, 0);
    await expect(
      store.signOnce(s, r2, () => {
        throw new Error('sync throw');
      }),
    ).rejects.toThrow('sync throw');
    expect((await store.get(s))?.level).toBe(11);
  });
});
