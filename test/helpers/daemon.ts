// A background process started by a test helper (swtpm, dbus-daemon, tpm2-abrmd, pkcsslotd): its output
// kept for error messages, stopped with SIGTERM (SIGKILL after 5 s) and awaited, so no test leaves one
// running even when it fails.
import { type ChildProcess, spawn } from 'node:child_process';

export interface Daemon {
  proc: ChildProcess;
  output(): string;
  /** True while the process has not exited. */
  running(): boolean;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// A test file that fails before its afterAll still must not leave a daemon behind.
process.once('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});

export function startDaemon(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Daemon {
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  proc.on('error', (err) => {
    out += `${cmd}: ${err.message}\n`;
  });
  live.add(proc);
  const exited = new Promise<void>((resolve) =>
    proc.once('close', () => {
      live.delete(proc);
      resolve();
    }),
  );
  const running = () => proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined;
  return {
    proc,
    output: () => out,
    running,
    stop: async () => {
      if (!running()) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `ready` every 50 ms until it resolves true; fails with the daemon's output after `ms`. */
export async function waitFor(
  what: string,
  ready: () => Promise<boolean>,
  daemon: Daemon,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!daemon.running()) throw new Error(`${what} exited while starting:\n${daemon.output()}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${ms} ms:\n${daemon.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
