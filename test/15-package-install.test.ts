// The npm package as an operator installs it: `npm pack` of the built checkout, `npm install` of the
// tarball into an empty folder whose PATH has node and softhsm2-util but no compiler, cmake or make.
// The addon must come from prebuilds/ (no build step, no devDependencies), and the installed bin must
// create a development token, serve and sign (each signature verified by taquito).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { verifySignature } from '@taquito/utils';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import {
  installTarball,
  onPath,
  operatorEnv,
  PACKAGE_NAME,
  type Packed,
  packTarball,
  portabilityProblems,
  signThroughCli,
  toolDir,
} from './helpers/package.js';
import { runCli } from './helpers/signer-process.js';

const run = promisify(execFile);
const BUILD_TOOLS = ['cc', 'gcc', 'g++', 'c++', 'clang', 'clang++', 'cmake', 'make', 'ninja'];

let dir: string;
let packed: Packed;
let env: NodeJS.ProcessEnv;
let app: string;
let pkg: string;
let installOutput: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'signer-package-'));
  packed = await packTarball(dir);
  const bin = toolDir(join(dir, 'bin'), {
    node: { link: process.execPath },
    sh: { link: '/bin/sh' }, // npm runs the install step with sh
    'softhsm2-util': { link: '/usr/bin/softhsm2-util' },
  });
  env = operatorEnv(bin);
  app = join(dir, 'app');
  ({ pkg, output: installOutput } = await installTarball(packed.tarball, app, env));
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm package', () => {
  it('holds the bin, the compiled JS, the prebuilds, the addon sources, docs and examples; no tests, bench results or var/', () => {
    const files = packed.files;
    for (const f of [
      'package.json',
      'README.md',
      'bin/tezos-hsm-signer.js',
      'dist/cli/main.js',
      `prebuilds/linux-x64/${PACKAGE_NAME}.glibc.node`,
      'native/check-install.cjs',
      'native/addon.cpp',
      'native/secp256k1_lib.c',
      'CMakeLists.txt',
      'docs/install.md',
      'docs/tezos-hsm-signer.service',
      'examples/signer.yaml',
    ])
      expect(files).toContain(f);
    const unwanted = files.filter((f) =>
      /^(test|bench|var|build|coverage|src|node_modules|\.tools|\.ci)\/|\.map$|\.test\.|\.tsbuildinfo$/.test(
        f,
      ),
    );
    expect(unwanted).toEqual([]);
    console.info(
      `${basename(packed.tarball)}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${files.length} files`,
    );
  });

  it('the linux-x64 prebuild needs only glibc ≤ 2.34 and libgcc_s (libstdc++ linked in)', async () => {
    const file = join(pkg, 'prebuilds', 'linux-x64', `${PACKAGE_NAME}.glibc.node`);
    expect(await portabilityProblems(file, 'Advanced Micro Devices X86-64')).toEqual([]);
  });

  it('installs with no compiler, cmake or make on PATH and no build step: the addon is the linux-x64 prebuild', async () => {
    for (const tool of BUILD_TOOLS) expect(onPath(tool, env.PATH), tool).toBeNull();
    // The install step ran, found the prebuild and built nothing.
    expect(installOutput).toContain(
      `tezos-hsm-signer: addon prebuilds/linux-x64/${PACKAGE_NAME}.glibc.node loads`,
    );
    expect(existsSync(join(pkg, 'build'))).toBe(false);
    // devDependencies (the build tools among them) are not installed.
    for (const dev of ['cmake-js', 'prebuildify', 'vitest', 'typescript', 'secp256k1'])
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    const { stdout } = await run(
      process.execPath,
      ['-p', `require('node-gyp-build').resolve(${JSON.stringify(pkg)})`],
      { cwd: app, env },
    );
    expect(stdout.trim()).toBe(join(pkg, 'prebuilds', 'linux-x64', `${PACKAGE_NAME}.glibc.node`));
  });

  it('the installed bin: dev-hsm init, keys list, serve and a verified signature per key', async () => {
    const bin = join(app, 'node_modules', '.bin', 'tezos-hsm-signer');
    const r = await signThroughCli({ command: bin, args: [], cwd: app }, env, dir);
    expect(r.keysList.trim().split('\n')).toHaveLength(3);
    expect(r.signed.map((s) => s.pkh.slice(0, 3)).sort()).toEqual(['tz1', 'tz2', 'tz3']);
    for (const s of r.signed) expect(verifySignature(s.hex, s.publicKey, s.signature), s.pkh).toBe(true);
    expect(r.exit).toBe(0);
  });

  it('no prebuild for the machine and no cmake-js: the install fails saying how to build from source; so does the signer', async () => {
    // node-gyp-build takes the architecture from npm_config_arch: no prebuild matches riscv64.
    const riscv = { ...env, npm_config_arch: 'riscv64' };
    const failed = await installTarball(packed.tarball, join(dir, 'riscv'), riscv).then(
      () => 'installed',
      (e: Error) => e.message,
    );
    expect(failed).toMatch(
      /no prebuilt addon loads on linux-x64: No native build was found for .*arch=riscv64/,
    );
    expect(failed).toMatch(/npm install cmake-js secp256k1@\d+\.\d+\.\d+ .*docs\/install\.md/s);
    // An npm that skips dependencies' install steps leaves that to the first start.
    const bin = join(app, 'node_modules', '.bin', 'tezos-hsm-signer');
    const r = await runCli(['keys', 'list', '--config', join(dir, 'none.yaml')], riscv, {
      command: bin,
      args: [],
      cwd: app,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the PKCS#11 addon does not load: No native build was found for .*arch=riscv64/);
    expect(r.stderr).toMatch(/docs\/install\.md, "From source"/);
  });

  it('ships an example config that loads, and a systemd unit that runs the installed bin', async () => {
    vi.stubEnv('HSM_PIN', 'not-used-by-load');
    try {
      const config = await loadConfig(join(pkg, 'examples', 'signer.yaml'));
      expect(config.watermark.backend).toBe('file');
    } finally {
      vi.unstubAllEnvs();
    }
    // The unit assumes `npm install --prefix /opt/tezos-hsm-signer <tarball>` (docs/install.md).
    const unit = readFileSync(join(pkg, 'docs', 'tezos-hsm-signer.service'), 'utf8');
    const start = /^ExecStart=\/usr\/bin\/node \/opt\/tezos-hsm-signer\/(\S+) serve --config /m.exec(unit);
    expect(start).not.toBeNull();
    expect(existsSync(join(app, start![1]!))).toBe(true);
  });
});
