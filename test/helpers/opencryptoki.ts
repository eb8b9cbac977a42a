// The openCryptoki soft token for tests. openCryptoki keeps its tokens at fixed system paths
// (/var/lib/opencryptoki/swtok, a shared-memory copy under /dev/shm) and needs its slot daemon, so this
// needs root: it saves the token directory, starts its own `pkcsslotd -f`, initialises the token with
// pkcsconf (default SO PIN 87654321), and stop() ends the daemon and puts the saved directory back.
// The machine has one such token: suites of several checkouts take turns through a lock file.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VENDOR_LIBRARIES } from '../../src/config/vendors.js';
import { type Daemon, startDaemon, waitFor } from './daemon.js';

export const OPENCRYPTOKI_LIBRARY = VENDOR_LIBRARIES.opencryptoki![0]!;
const SWTOK = '/var/lib/opencryptoki/swtok';
const SHM = '/dev/shm/var.lib.opencryptoki.swtok';
const DEFAULT_SO_PIN = '87654321';
const LOCK = '/run/lock/tezos-hsm-signer-opencryptoki.lock';
/** How long a suite waits for another one's turn with the token. */
export const OPENCRYPTOKI_WAIT_MS = 8 * 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the machine-wide turn (O_EXCL lock file holding our pid; a dead holder's file is taken over). */
async function takeTurn(): Promise<() => void> {
  mkdirSync('/run/lock', { recursive: true });
  const deadline = Date.now() + OPENCRYPTOKI_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(LOCK, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(LOCK, { encoding: 'utf8', flag: 'r' }) || '0');
    if (holder > 0 && !alive(holder)) {
      rmSync(LOCK, { force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`the openCryptoki token is still in use by process ${holder} (${LOCK})`);
    await sleep(500);
  }
}

export interface OckToken {
  library: string;
  tokenLabel: string;
  /** 4 to 8 characters: openCryptoki's soft token refuses others. */
  pin: string;
  /** The slot id pkcsslotd gave the soft token (from opencryptoki.conf, not 0). */
  slot: number;
  /** Stops pkcsslotd only (the token stays), for the "daemon not running" case; startSlotd() again. */
  stopSlotd(): Promise<void>;
  startSlotd(): Promise<void>;
  stop(): Promise<void>;
}

function requirements(): void {
  if (process.getuid?.() !== 0) throw new Error('the openCryptoki tests need root (system token paths)');
  for (const path of [OPENCRYPTOKI_LIBRARY, '/usr/sbin/pkcsslotd', '/usr/sbin/pkcsconf', SWTOK]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: install opencryptoki (make sysdeps)`);
  }
  try {
    execFileSync('pgrep', ['-x', 'pkcsslotd']);
  } catch {
    return; // none running: ours will be the only one
  }
  throw new Error('a pkcsslotd is already running: the openCryptoki test needs the soft token to itself');
}

function pkcsconf(args: string[], input = ''): string {
  try {
    return execFileSync('pkcsconf', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`pkcsconf ${args[0]} failed: ${e.stdout ?? ''}${e.stderr || e.message}`);
  }
}

/** The slot of the soft token ("Model: IBM SoftTok") in `pkcsconf -t`, or null. */
function softTokenSlot(): number | null {
  const blocks = pkcsconf(['-t']).split(/^Token #/m);
  const soft = blocks.find((b) => /Model: IBM SoftTok/.test(b));
  return soft ? Number(/^(\d+) Info/.exec(soft)![1]) : null;
}

/** Deletes the soft token's files, keeping the (packaged) directories themselves. */
function clearToken(): void {
  for (const name of readdirSync(SWTOK)) {
    if (name !== 'TOK_OBJ') rmSync(join(SWTOK, name), { recursive: true, force: true });
  }
  for (const name of readdirSync(join(SWTOK, 'TOK_OBJ')))
    rmSync(join(SWTOK, 'TOK_OBJ', name), { force: true });
  rmSync(SHM, { force: true });
}

/** cp -a: keeps the pkcs11 group ownership the library checks. */
const copyTree = (from: string, to: string) => execFileSync('cp', ['-a', `${from}/.`, to]);

export async function startOpenCryptoki(opts: { label?: string; pin?: string } = {}): Promise<OckToken> {
  const release = await takeTurn();
  try {
    requirements();
  } catch (err) {
    release();
    throw err;
  }
  const saved = mkdtempSync(join(tmpdir(), 'opencryptoki-swtok-'));
  copyTree(SWTOK, saved);
  let slotd: Daemon | null = null;
  const stopSlotd = async () => {
    await slotd?.stop();
    slotd = null;
  };
  const startSlotd = async () => {
    // pkcsslotd and the library lock and map files under these (Debian's tmpfiles.d entries).
    for (const d of ['/run/opencryptoki', '/var/lock/opencryptoki/swtok']) mkdirSync(d, { recursive: true });
    const d = startDaemon('pkcsslotd', ['-f']);
    slotd = d;
    await waitFor('pkcsslotd', async () => softTokenSlot() !== null, d);
  };
  const stop = async () => {
    await stopSlotd();
    clearToken();
    copyTree(saved, SWTOK);
    rmSync(saved, { recursive: true, force: true });
    release();
  };
  try {
    // A fresh soft token: no token files, no shared-memory copy of an older one.
    clearToken();
    await startSlotd();
    const slot = softTokenSlot()!;
    const label = opts.label ?? 'baker';
    const pin = opts.pin ?? '11112222';
    pkcsconf(['-c', String(slot), '-I', '-S', DEFAULT_SO_PIN], `${label}\n`);
    pkcsconf(['-c', String(slot), '-u', '-S', DEFAULT_SO_PIN, '-n', pin]);
    return { library: OPENCRYPTOKI_LIBRARY, tokenLabel: label, pin, slot, stopSlotd, startSlotd, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
