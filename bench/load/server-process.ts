// A server under test as a child process: spawned, timed to readiness (GET /authorized_keys answers 200,
// as README.md "CLI" defines ready), its peak RSS read from /proc/<pid>/status (VmHWM), stopped with SIGTERM.
// Every server kind prints `listening on http://HOST:PORT keys: PKH…` on stdout when bound.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  url: string;
  keys: string[];
  pid: number;
  /** Milliseconds from spawn to the first 200 on GET /authorized_keys. */
  startupMs: number;
  /** Peak resident set size so far, MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/** Starts `node NODE_ARGS…` from the repository root; `name` labels errors. */
export async function startServer(
  name: string,
  nodeArgs: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ServerProcess> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, nodeArgs, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr.on('data', (d) => {
    err = (err + d).slice(-4000);
  });
  const exited = new Promise<string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(`${code ?? signal}`)),
  );
  const listening = await new Promise<RegExpExecArray>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/\S+) keys: ?(.*)\n/.exec(out);
      if (m) {
        // Keep draining (request logs) without holding them.
        proc.stdout.off('data', onData);
        proc.stdout.resume();
        resolve(m);
      }
    };
    proc.stdout.on('data', onData);
    exited.then((code) => reject(new Error(`${name} exited (${code}) before listening: ${err}`)));
  });
  const url = listening[1]!;
  for (;;) {
    const r = await fetch(`${url}/authorized_keys`).catch(() => null);
    await r?.arrayBuffer();
    if (r?.status === 200) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const startupMs = performance.now() - t0;
  const pid = proc.pid!;
  return {
    url,
    keys: listening[2]!.split(' ').filter(Boolean),
    pid,
    startupMs: Number(startupMs.toFixed(1)),
    peakRssMb: () => {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return Number((Number(m![1]) / 1024).toFixed(1));
    },
    stop: async () => {
      proc.kill('SIGTERM');
      const code = await exited;
      if (code !== '0' && code !== 'SIGTERM') throw new Error(`${name} exited ${code}: ${err}`);
    },
  };
}
