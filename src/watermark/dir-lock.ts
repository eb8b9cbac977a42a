// Exclusive ownership of a watermark directory: two signers appending to one log would each sign at
// the same height. A LOCK file created with O_EXCL holds the owner's pid; a lock left by a dead
// process (kill -9, power loss) is taken over, a live owner's lock makes open() fail.

import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const LOCK_NAME = 'LOCK';

export class DirLockedError extends Error {
  override readonly name = 'DirLockedError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx', 0o644);
    try {
      await fh.writeFile(`${process.pid}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Takes the lock on `dir`; resolves to a release function. */
export async function lockDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_NAME);
  const release = async () => {
    await unlink(path).catch(() => {});
  };
  if (await tryCreate(path)) return release;
  const text = await readFile(path, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  if (Number.isInteger(pid) && pid > 0 && alive(pid))
    throw new DirLockedError(
      `watermark directory ${dir} is in use by process ${pid} (lock file ${path}); ` +
        'is another signer running on it? Two signers on one watermark could double-sign.',
    );
  // Stale (dead pid) or unreadable/empty lock from a crash while it was being written: take it over.
  // If another process races us here, only one of the O_EXCL creates succeeds.
  await unlink(path).catch(() => {});
  if (await tryCreate(path)) return release;
  throw new DirLockedError(
    `watermark directory ${dir} was locked by another process while opening (lock file ${path})`,
  );
}
