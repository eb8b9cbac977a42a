// Runs `tezos-hsm-signer serve` as a child process for the issue #5 end-to-end tests: a dev SoftHSM2
// token (devToken), a config built from the dev one plus extra YAML, and both listener addresses read
// from the process's start-up lines.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devToken } from './dev-signer.js';

const ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface OpsToken {
  dir: string;
  pkhs: Record<'tz1' | 'tz2' | 'tz3', string>;
  /** The dev config's hsm section (token, PIN file, SOFTHSM2_CONF), to reuse in variants. */
  hsmYaml: string;
}

export async function opsToken(): Promise<OpsToken> {
  const t = await devToken();
  const text = readFileSync(t.config, 'utf8');
  const hsmYaml = /^hsm:\n(?: {2}.*\n)+/m.exec(text)![0];
  return { dir: t.dir, pkhs: t.pkhs, hsmYaml };
}

/** Writes DIR/NAME with a server section listening on free ports, the dev hsm section, and `extra`. */
export function opsConfig(t: OpsToken, name: string, server: string, extra = ''): string {
  const file = join(t.dir, name);
  writeFileSync(
    file,
    `server:\n  address: 127.0.0.1:0\n${server}${t.hsmYaml}watermark:\n  backend: file\n  dir: ./wm-${name}\n${extra}`,
  );
  return file;
}

export interface OpsSigner {
  url: string;
  utilityUrl: string | null;
  proc: ChildProcess;
  /** Everything written so far: stdout carries the start-up lines and the JSON log. */
  stdout(): string;
  stderr(): string;
  stop(): Promise<number | string>;
}

export interface StartOptions {
  /**
   * Run the signer under a launcher shell in a process group of its own, as `npx tezos-hsm-signer
   * serve` does: `proc` is then the shell, and `process.kill(-proc.pid)` signals both.
   */
  group?: boolean;
}

export function startOpsSigner(
  config: string,
  env: NodeJS.ProcessEnv = {},
  opts: StartOptions = {},
): Promise<OpsSigner> {
  const argv = [process.execPath, '--import', 'tsx', ENTRY, 'serve', '--config', config];
  const options: SpawnOptions = {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  };
  // `; exit` keeps the shell from exec'ing node: the launcher stays the group's parent process.
  const proc: ChildProcess = opts.group
    ? spawn('sh', ['-c', '"$@"; exit $?', 'launcher', ...argv], { ...options, detached: true })
    : spawn(argv[0]!, argv.slice(1), options);
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
      const m = /listening on (https?:\/\/\S+) keys:/.exec(out);
      if (m) {
        const u = /utility on (http:\/\/\S+)/.exec(out);
        resolve({
          url: m[1]!,
          utilityUrl: u ? u[1]! : null,
          proc,
          stdout: () => out,
          stderr: () => err,
          stop,
        });
      }
    });
    exited.then((code) => reject(new Error(`signer exited (${code}) before listening: ${err}`)));
  });
}
