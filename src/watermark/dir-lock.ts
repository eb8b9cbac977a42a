// Exclusive ownership of a watermark directory: two signers appending to one log would each sign at
// the same height. `LOCK` holds the owner's pid; a live owner's lock makes open() fail, a lock left by a
// dead process (kill -9, power loss) is taken over.
//
// Node has no flock(), so the protocol uses only atomic directory operations:
// - a lock file is written and synced under a unique temporary name, then link()ed into place: it
//   appears complete or not at all, and link() fails when the name exists (exclusive create);
// - replacing a stale lock happens only while holding `LOCK.takeover` (created the same way), after
//   re-reading the lock under it. A live owner's lock is never replaced, so owners never lose it.

import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const LOCK_NAME = 'LOCK';
const TAKEOVER_NAME = 'LOCK.takeover';

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

/** The pid in a lock file; null when the file is missing or holds no pid (garbage after power loss). */
async function readPid(path: string): Promise<number | null> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** Writes our pid to a synced temporary file in `dir` and hands its path to `place`. */
async function withPidFile<T>(dir: string, place: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = join(dir, `${LOCK_NAME}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(`${process.pid}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    return await place(tmp);
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/** Exclusive create of `path` holding our pid; false when it already exists. */
function createPidFile(dir: string, path: string): Promise<boolean> {
  return withPidFile(dir, async (tmp) => {
    try {
      await link(tmp, path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  });
}

function inUse(dir: string, path: string, pid: number): DirLockedError {
  return new DirLockedError(
    `watermark directory ${dir} is in use by process ${pid} (lock file ${path}); ` +
      'is another signer running on it? Two signers on one watermark could double-sign.',
  );
}

/** Takes the lock on `dir`; resolves to a release function. */
export async function lockDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_NAME);
  const release = async () => {
    await unlink(path).catch(() => {});
  };
  // A take-over finishing while we look is retried; a few rounds settle any honest race.
  for (let attempt = 0; attempt < 5; attempt++) {
    const got = await tryLock(dir, path);
    if (got) return release;
  }
  throw new DirLockedError(`watermark directory ${dir} kept changing owner while opening (${path})`);
}

/** One round: true when we hold the lock, false when a concurrent take-over ended and a retry is due. */
async function tryLock(dir: string, path: string): Promise<boolean> {
  if (await createPidFile(dir, path)) return true;
  const owner = await readPid(path);
  if (owner !== null && alive(owner)) throw inUse(dir, path, owner);

  const takeover = join(dir, TAKEOVER_NAME);
  if (!(await createPidFile(dir, takeover))) {
    const other = await readPid(takeover);
    if (other === null) return false; // it was released between our create and our read
    if (alive(other))
      throw new DirLockedError(
        `watermark directory ${dir} is being locked by process ${other} (${takeover})`,
      );
    throw new DirLockedError(
      `watermark directory ${dir}: ${takeover} was left by a crash while taking over a stale lock; ` +
        'remove it if no signer is running on this directory',
    );
  }
  try {
    // Re-read under the take-over lock: someone may have taken the directory since we looked.
    const now = await readPid(path);
    if (now !== null && alive(now)) throw inUse(dir, path, now);
    return await withPidFile(dir, async (tmp) => {
      try {
        // Still the dead owner's file (nobody else may replace it while we hold the take-over
        // lock): replace it atomically. Gone: create exclusively, as a plain opener would.
        const present = await readFile(path).then(
          () => true,
          () => false,
        );
        if (present) await rename(tmp, path);
        else await link(tmp, path);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      }
    });
  } finally {
    await unlink(takeover).catch(() => {});
  }
}
