// Starts `tezos-hsm-signer serve` as a child process (from the TypeScript sources, or as a launcher says:
// an installed package's bin, another architecture's Node) and waits until it prints its listening line;
// also runs one-shot CLI commands. Every test that runs `serve` as a child starts it here.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SignerProcess {
  url: string;
  /** The utility listener (health, metrics) when the config enables it. */
  utilityUrl: string | null;
  keys: string[];
  proc: ChildProcess;
  /** Everything written so far: stdout carries the start-up lines and the JSON log. */
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
  /** SIGTERM unless it has already ended; resolves like `exited`. */
  stop: () => Promise<number | string>;
}

/** The command line before the CLI's own arguments, and where it runs. */
export interface Launcher {
  command: string;
  args: string[];
  cwd: string;
}

export interface StartOptions {
  /**
   * Run the signer under a launcher shell in a process group of its own, as `npx tezos-hsm-signer
   * serve` does: `proc` is then the shell, and `process.kill(-proc.pid)` signals both.
   */
  group?: boolean;
}

export const SOURCES: Launcher = { command: process.execPath, args: ['--import', 'tsx', ENTRY], cwd: ROOT };

function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
  launcher: Launcher,
  opts: StartOptions = {},
): ChildProcess {
  const argv = [launcher.command, ...launcher.args, ...args];
  const options: SpawnOptions = {
    cwd: launcher.cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  };
  // `; exit` keeps the shell from exec'ing node: the launcher stays the group's parent process.
  return opts.group
    ? spawn('sh', ['-c', '"$@"; exit $?', 'launcher', ...argv], { ...options, detached: true })
    : spawn(argv[0]!, argv.slice(1), options);
}

export function startSigner(
  config: string,
  env: NodeJS.ProcessEnv = {},
  launcher = SOURCES,
  opts: StartOptions = {},
): Promise<SignerProcess> {
  const proc = cli(['serve', '--config', config], env, launcher, opts);
  let out = '';
  let err = '';
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    return exited;
  };
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (d) => {
      err += d;
    });
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (https?:\/\/\S+) keys: ?(.*)\n/.exec(out);
      if (m) {
        const u = /utility on (http:\/\/\S+)/.exec(out);
        resolve({
          url: m[1]!,
          utilityUrl: u ? u[1]! : null,
          keys: m[2]!.split(' ').filter(Boolean),
          proc,
          stdout: () => out,
          stderr: () => err,
          exited,
          stop,
        });
      }
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
