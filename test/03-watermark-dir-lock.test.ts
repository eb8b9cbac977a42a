// The watermark directory lock is a kernel lock on `LOCK` that ends with its holder's open file: a
// second live owner is refused (in another process or this one), a killed owner's lock is gone at once,
// and what `LOCK` holds (pid 1, our own pid, garbage, a leftover LOCK.takeover) never blocks a start.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirLockedError, lockDir } from '../src/watermark/dir-lock.js';
import { FileStore, WatermarkOpenError } from '../src/watermark/file-store.js';
import { openStore } from '../src/watermark/open-store.js';
import { mountTmpfs, type Tmpfs } from './helpers/tmpfs.js';
import { CountingSigner, request, slot, tempDir } from './helpers/watermark.js';

let dir: string;
let cleanup: () => Promise<void>;
const open: FileStore[] = [];
const children: ChildProcess[] = [];
const mounts: Tmpfs[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const m of mounts.splice(0)) m.unmount();
  await cleanup();
});

async function openFile(at = dir): Promise<FileStore> {
  const s = await FileStore.open(at, { onRecovery: () => {} });
  open.push(s);
  return s;
}

/** A child process holding the store on `dir`; resolves once it has it. */
function holder(): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/watermark-hold-child.ts', dir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise((r) => child.once('exit', r));
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      if (String(d).includes('held')) resolve({ child, exited });
    });
    void exited.then(() => reject(new Error(`holder exited: ${err}`)));
  });
}

async function signsAt(store: FileStore, level: number): Promise<void> {
  const hsm = new CountingSigner();
  const r = request(level, 0);
  expect((await store.signOnce(slot(), r, hsm.signer(r))).outcome).toBe('signed');
}

describe('watermark directory lock', () => {
  it('refuses a second live owner in another process, and is free the moment that owner is killed', async () => {
    const { child, exited } = await holder();
    await expect(FileStore.open(dir)).rejects.toThrow(
      new RegExp(`in use by process ${child.pid} .*another signer running`),
    );
    child.kill('SIGKILL');
    await exited;
    const s = await openFile();
    await signsAt(s, 1);
    expect((await readFile(join(dir, 'LOCK'), 'utf8')).trim()).toBe(String(process.pid));
  });

  it('refuses a second owner in the same process until the first closes', async () => {
    const a = await openFile();
    await expect(openStore({ backend: 'file', dir })).rejects.toThrow(DirLockedError);
    await a.close();
    open.splice(open.indexOf(a), 1);
    await openFile();
  });

  it('lets exactly one of several concurrent openers in', async () => {
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => lockDir(dir, 0)));
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DirLockedError);
    await won[0]!();
  });

  it.each([
    ['pid 1 (a container restart runs under the same pid)', '1\n'],
    ['our own pid', `${process.pid}\n`],
    ['garbage', '\u0000\u0000garbage'],
    ['nothing', ''],
  ])('opens over a LOCK naming %s, and writes its own pid there', async (_, content) => {
    await writeFile(join(dir, 'LOCK'), content);
    const s = await openFile();
    await signsAt(s, 1);
    expect((await readFile(join(dir, 'LOCK'), 'utf8')).trim()).toBe(String(process.pid));
  });

  it('opens over a leftover LOCK.takeover and removes it', async () => {
    await writeFile(join(dir, 'LOCK.takeover'), '1\n');
    await writeFile(join(dir, 'LOCK'), '1\n');
    await openFile();
    expect(existsSync(join(dir, 'LOCK.takeover'))).toBe(false);
  });

  it('reports a read-only filesystem as such, not as a missing file', async () => {
    const fs = mountTmpfs('size=1m');
    mounts.push(fs);
    await mkdir(join(fs.dir, 'wm'));
    fs.remount('ro');
    for (const at of [join(fs.dir, 'wm'), join(fs.dir, 'wm', 'sub')]) {
      const err = await FileStore.open(at).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WatermarkOpenError);
      expect(String(err)).toMatch(/read-only \(EROFS\)/);
      expect(String(err)).not.toMatch(/ENOENT|\.tmp/);
    }
  });
});
