// The npm package as an operator gets it: `npm pack` of this checkout (dist/ and prebuilds/ built by make),
// then `npm install ./tezos-hsm-signer-<version>.tgz` into an empty folder whose PATH holds only the tools
// given (node, npm, softhsm2-util, …): no compiler, cmake or make.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { postSign } from './http.js';
import { type Launcher, runCli, startSigner } from './signer-process.js';
import { blockWith } from './tezos-vectors.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PACKAGE_NAME = 'tezos-hsm-signer';
export const PREBUILD = (arch: string) =>
  join(ROOT, 'prebuilds', `linux-${arch}`, `${PACKAGE_NAME}.glibc.node`);

/** A program's path on the test runner's PATH (npm, softhsm2-util, qemu-aarch64-static), or null. */
export function onPath(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** The environment of an operator's shell: none of npm's or vitest's variables, and PATH as given. */
export function operatorEnv(path: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(npm_|VITEST|NODE_OPTIONS$)/i.test(k)) env[k] = v;
  }
  return { ...env, PATH: path, npm_config_update_notifier: 'false', npm_config_fund: 'false' };
}

/** A bin directory holding only these programs: symlinks to a path, or sh scripts given as text. */
export function toolDir(dir: string, tools: Record<string, { link: string } | { script: string }>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, tool] of Object.entries(tools)) {
    if ('link' in tool) symlinkSync(tool.link, join(dir, name));
    else writeFileSync(join(dir, name), `#!/bin/sh\n${tool.script}\n`, { mode: 0o755 });
  }
  return dir;
}

/** npm's own script (npm-cli.js): run by whichever node the caller chooses. */
export function npmCli(): string {
  const npm = onPath('npm');
  if (npm === null) throw new Error('npm is not on PATH');
  return realpathSync(npm);
}

export interface Packed {
  tarball: string;
  size: number;
  unpackedSize: number;
  files: string[];
}

/** `npm pack` of this checkout into dest; fails when the linux-x64 prebuild is missing (make builds it). */
export async function packTarball(dest: string): Promise<Packed> {
  if (!existsSync(PREBUILD('x64'))) throw new Error(`${PREBUILD('x64')} is missing: run make prebuild`);
  const { stdout } = await run(
    process.execPath,
    [npmCli(), 'pack', '--json', '--pack-destination', dest, '--loglevel=error'],
    { cwd: ROOT, env: operatorEnv(process.env.PATH ?? ''), maxBuffer: 16 << 20 },
  );
  const [info] = JSON.parse(stdout) as Array<{
    filename: string;
    size: number;
    unpackedSize: number;
    files: Array<{ path: string }>;
  }>;
  return {
    tarball: join(dest, info!.filename),
    size: info!.size,
    unpackedSize: info!.unpackedSize,
    files: info!.files.map((f) => f.path),
  };
}

/**
 * `npm install <tarball>` in dir (an empty project), npm run by `node` (a command line: another
 * architecture's Node under qemu), with extra npm arguments. The install step's output is shown
 * (--foreground-scripts); returns the installed package's directory and npm's output.
 */
export async function installTarball(
  tarball: string,
  dir: string,
  env: NodeJS.ProcessEnv,
  opts: { node?: string[]; npmArgs?: string[] } = {},
): Promise<{ pkg: string; output: string }> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  const [cmd, ...args] = opts.node ?? [process.execPath];
  const npm = [npmCli(), 'install', '--prefer-offline', '--no-audit', '--foreground-scripts'];
  try {
    const { stdout, stderr } = await run(cmd!, [...args, ...npm, ...(opts.npmArgs ?? []), tarball], {
      cwd: dir,
      env,
      maxBuffer: 16 << 20,
    });
    return { pkg: join(dir, 'node_modules', PACKAGE_NAME), output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm install ${tarball} failed: ${e.stdout ?? ''}${e.stderr || e.message}`);
  }
}

export interface CliRoundTrip {
  /** stdout of `dev-hsm init`, then of `keys list`. */
  init: string;
  keysList: string;
  /** One block request per key, signed over HTTP by `serve`, with the key's public key. */
  signed: Array<{ pkh: string; publicKey: string; hex: string; signature: string }>;
  /** serve's exit code after SIGTERM. */
  exit: number | string;
}

/**
 * What an operator does first with an installed signer, through a launcher: `dev-hsm init` (SoftHSM2 token,
 * one key per curve), `keys list`, `serve`, a signature per key, SIGTERM. Throws on any failure.
 */
export async function signThroughCli(
  launcher: Launcher,
  env: NodeJS.ProcessEnv,
  dir: string,
): Promise<CliRoundTrip> {
  const varDir = join(dir, 'var');
  const init = await runCli(['dev-hsm', 'init', '--dir', varDir], env, launcher);
  if (init.code !== 0) throw new Error(`dev-hsm init exited ${init.code}: ${init.stderr}`);
  const config = join(varDir, 'signer.yaml');
  const list = await runCli(['keys', 'list', '--config', config], env, launcher);
  if (list.code !== 0) throw new Error(`keys list exited ${list.code}: ${list.stderr}`);
  const serveConfig = join(varDir, 'serve.yaml');
  writeFileSync(serveConfig, readFileSync(config, 'utf8').replace('127.0.0.1:6732', '127.0.0.1:0'));
  const server = await startSigner(serveConfig, env, launcher);
  const signed: CliRoundTrip['signed'] = [];
  try {
    for (const [i, pkh] of server.keys.entries()) {
      const got = (await (await fetch(`${server.url}/keys/${pkh}`)).json()) as { public_key: string };
      const hex = blockWith({ level: 100 + i, round: 0, payloadRound: 0 });
      const r = await postSign(server.url, pkh, hex);
      if (r.status !== 200) throw new Error(`POST /keys/${pkh}: ${r.status} ${JSON.stringify(r.body)}`);
      const { signature } = r.body as { signature: string };
      signed.push({ pkh, publicKey: got.public_key, hex, signature });
    }
  } finally {
    server.proc.kill('SIGTERM');
  }
  // SIGTERM lets serve finish and exit 0; should it hang, it must not outlive the test.
  const stuck = setTimeout(() => server.proc.kill('SIGKILL'), 20_000);
  const exit = await server.exited;
  clearTimeout(stuck);
  return { init: init.stdout, keysList: list.stdout, signed, exit };
}

/** What a shared object asks of the system (readelf works for every architecture). */
export async function elfNeeds(file: string): Promise<{
  machine: string;
  needed: string[];
  /** The highest GLIBC_x.y symbol version it references, as [x, y]. */
  maxGlibc: [number, number];
  /** Global (non-weak) symbols it defines. */
  exports: string[];
}> {
  const { stdout: header } = await run('readelf', ['-h', file]);
  const { stdout: dynamic } = await run('readelf', ['-d', file]);
  const { stdout: syms } = await run('readelf', ['--dyn-syms', '-W', file], { maxBuffer: 16 << 20 });
  const versions = [...syms.matchAll(/@GLIBC_(\d+)\.(\d+)/g)].map((m): [number, number] => [+m[1]!, +m[2]!]);
  return {
    machine: /Machine:\s+(.*)/.exec(header)![1]!.trim(),
    needed: [...dynamic.matchAll(/\(NEEDED\).*\[(.*)\]/g)].map((m) => m[1]!),
    maxGlibc: versions.reduce((a, b) => (b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]) ? b : a), [0, 0]),
    exports: [...syms.matchAll(/^\s*\d+:\s+\S+\s+\d+\s+\w+\s+GLOBAL\s+DEFAULT\s+\d+\s+(\S+)$/gm)].map(
      (m) => m[1]!,
    ),
  };
}

/**
 * What keeps a prebuild from loading on an older Linux of its architecture: another machine type, a
 * library beyond glibc and libgcc_s (a shared libstdc++ would tie it to the build machine's), a glibc
 * symbol newer than 2.34, exports beyond Node-API's entry points. Empty when none.
 */
export async function portabilityProblems(
  file: string,
  machine: 'AArch64' | 'Advanced Micro Devices X86-64',
) {
  const elf = await elfNeeds(file);
  const problems: string[] = [];
  if (elf.machine !== machine) problems.push(`machine ${elf.machine}`);
  for (const lib of elf.needed)
    if (!/^(libc\.so\.6|libgcc_s\.so\.1|ld-linux-(aarch64|x86-64)\.so\.[12])$/.test(lib))
      problems.push(`needs ${lib}`);
  if (elf.maxGlibc[0] * 100 + elf.maxGlibc[1] > 234) problems.push(`needs GLIBC_${elf.maxGlibc.join('.')}`);
  const entryPoints = ['napi_register_module_v1', 'node_api_module_get_api_version_v1'];
  for (const sym of elf.exports) if (!entryPoints.includes(sym)) problems.push(`exports ${sym}`);
  return problems;
}
