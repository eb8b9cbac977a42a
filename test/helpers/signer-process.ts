// Starts `tezos-hsm-signer serve` as a child process (from the TypeScript sources, or as a launcher says:
// an installed package's bin, another architecture's Node) and waits until it prints its listening line;
// also runs one-shot CLI commands.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SignerProcess {
  url: string;
  keys: string[];
  proc: ChildProcess;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
}

/** The command line before the CLI's own arguments, and where it runs. */
export interface Launcher {
  command: string;
  args: string[];
  cwd: string;
}

const SOURCES: Launcher = { command: process.execPath, args: ['--import', 'tsx', ENTRY], cwd: ROOT };

function cli(args: string[], env: NodeJS.ProcessEnv, launcher: Launcher): ChildProcess {
  return spawn(launcher.command, [...launcher.args, ...args], {
    cwd: launcher.cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function startSigner(
  config: string,
  env: NodeJS.ProcessEnv = {},
  launcher = SOURCES,
): Promise<SignerProcess> {
  const proc = cli(['serve', '--config', config], env, launcher);
  let out = '';
  let err = '';
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (d) => {
      err += d;
    });
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+) keys: ?(.*)\n/.exec(out);
      if (m) resolve({ url: m[1]!, keys: m[2]!.split(' ').filter(Boolean), proc, stderr: () => err, exited });
    });
    exited.then((code) => reject(new Error(`signer exited (${code}) before listening: ${err}`)));
  });
}

export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  launcher = SOURCES,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = cli(args, env, launcher);
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d) => {
    stdout += d;
  });
  proc.stderr!.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => proc.once('close', (code) => resolve({ code, stdout, stderr })));
}
