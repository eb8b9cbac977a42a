// Exclusive ownership of a watermark directory: two signers appending to one log would each sign at
// the same height. The owner holds a kernel lock on `LOCK` (native/file_lock.h) that ends when its
// open file does, whatever ends the process: a signer killed by kill -9 or the OOM killer leaves no
// lock behind, even when its restart gets the same pid (pid 1 in a container) or while the dead
// process is still a zombie. Liveness is never guessed from a pid. `LOCK`'s content (the owner's pid)
// only informs a refused opener's message; an empty, garbage or foreign pid there means nothing.

import { constants } from 'node:fs';
import { type FileHandle, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { addon } from '../hsm/native.js';

export const LOCK_NAME = 'LOCK';
/** Left by versions that locked by pid; it carries no meaning now and is removed. */
const LEGACY_TAKEOVER_NAME = 'LOCK.takeover';
/**
 * A previous owner killed an instant ago may still be closing its files (a process group being torn
 * down): a restart waits this long for its lock to go before refusing.
 */
export const HOLDER_WAIT_MS = 2_000;
const RETRY_MS = 50;

export class DirLockedError extends Error {
  override readonly name = 'DirLockedError';
}

async function holderOf(path: string): Promise<string> {
  const text = (await readFile(path, 'utf8').catch(() => '')).trim();
  return /^\d+$/.test(text) ? `process ${text}` : 'another process';
}

async function inUse(dir: string, path: string): Promise<DirLockedError> {
  return new DirLockedError(
    `watermark directory ${dir} is in use by ${await holderOf(path)} (lock on ${path}); ` +
      'is another signer running on it? Two signers on one watermark could double-sign.',
  );
}

/** The pid, for whoever reads `LOCK`; best effort (a full disk must not stop a restart). */
async function writeOwner(fh: FileHandle): Promise<void> {
  try {
    await fh.truncate(0);
    await fh.write(`${process.pid}\n`, 0);
  } catch {}
}

/** Takes the lock on `dir`, waiting up to `waitMs` for a dying holder; resolves to a release function. */
export async function lockDir(dir: string, waitMs = HOLDER_WAIT_MS): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_NAME);
  // Never unlinked: a second opener locking a file that was just removed would hold a lock nobody sees.
  const fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  try {
    const deadline = Date.now() + waitMs;
    while (!addon.lockFile(fh.fd)) {
      if (Date.now() >= deadline) throw await inUse(dir, path);
      await sleep(RETRY_MS);
    }
    await writeOwner(fh);
    await unlink(join(dir, LEGACY_TAKEOVER_NAME)).catch(() => {});
  } catch (err) {
    await fh.close();
    throw err;
  }
  return async () => {
    await fh.truncate(0).catch(() => {});
    await fh.close();
  };
}
