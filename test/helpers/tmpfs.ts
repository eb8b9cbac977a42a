// A small tmpfs mounted for one test (we run as root): a disk that really fills up, or a filesystem
// that really is read-only. unmount() is safe to call twice and from a failed test's cleanup.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Changes the mount options in place (e.g. 'ro', 'rw', 'size=4m'): contents are kept. */
  remount(options: string): void;
  unmount(): void;
}

export function mountTmpfs(options: string): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'thsm-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  let mounted = true;
  return {
    dir,
    remount: (o) => execFileSync('mount', ['-o', `remount,${o}`, dir]),
    unmount: () => {
      if (mounted) execFileSync('umount', ['-l', dir]);
      mounted = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
