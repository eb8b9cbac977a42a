// The linux-arm64 prebuild (cross-compiled) on arm64, under qemu user emulation: Node for arm64 from the
// npm registry and SoftHSM2 for arm64 from Debian, unpacked into ARM64_ROOT (test/fixtures/arm64-root.sh,
// `make test-arm64`). The packed tarball is installed for arm64 (npm --cpu=arm64), its install step runs
// on arm64 Node, and the installed bin creates a token, lists keys, serves and signs; taquito verifies.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { verifySignature } from '@taquito/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  installTarball,
  onPath,
  operatorEnv,
  PACKAGE_NAME,
  type Packed,
  PREBUILD,
  packTarball,
  portabilityProblems,
  signThroughCli,
  toolDir,
} from './helpers/package.js';

const run = promisify(execFile);
const ROOT = process.env.ARM64_ROOT ?? join(process.cwd(), '.tools', 'arm64');
const QEMU = onPath('qemu-aarch64-static');

let dir: string;
let packed: Packed;
let armEnv: NodeJS.ProcessEnv;
let app: string;
let pkg: string;

beforeAll(async () => {
  if (QEMU === null)
    throw new Error('qemu-aarch64-static is missing: install qemu-user-static (make sysdeps)');
  if (!existsSync(join(ROOT, 'node', 'bin', 'node')))
    throw new Error(`${ROOT} has no arm64 Node: run make test-arm64 (test/fixtures/arm64-root.sh)`);
  if (!existsSync(PREBUILD('arm64'))) throw new Error(`${PREBUILD('arm64')} is missing: run make prebuild`);
  dir = mkdtempSync(join(tmpdir(), 'signer-arm64-'));
  packed = await packTarball(dir);
  app = join(dir, 'app');
  // npm itself runs on this machine's Node (npm under emulation is slow), fetching the arm64 variants of
  // optional native dependencies; the install step then runs on arm64 below.
  const host = operatorEnv(
    toolDir(join(dir, 'host-bin'), { node: { link: process.execPath }, sh: { link: '/bin/sh' } }),
  );
  ({ pkg } = await installTarball(packed.tarball, app, host, {
    npmArgs: ['--cpu=arm64', '--os=linux', '--libc=glibc', '--ignore-scripts'],
  }));
  // Without binfmt_misc the kernel cannot start arm64 programs: wrappers run them under qemu, with the
  // arm64 root as the library prefix (its /usr/lib/softhsm/libsofthsm2.so is what the signer dlopens).
  const emulate = (program: string) => ({ script: `exec ${QEMU} -L ${ROOT} ${program} "$@"` });
  const armBin = toolDir(join(dir, 'arm64-bin'), {
    node: emulate(join(ROOT, 'node', 'bin', 'node')),
    'softhsm2-util': emulate(join(ROOT, 'usr', 'bin', 'softhsm2-util')),
    sh: { link: '/bin/sh' },
  });
  // serve re-executes Node to cap its young generation unless NODE_OPTIONS sets it; a re-exec of an arm64
  // binary would not go through qemu.
  armEnv = { ...operatorEnv(armBin), NODE_OPTIONS: '--max-semi-space-size=4' };
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('linux-arm64 prebuild under qemu', () => {
  it('is an aarch64 Node-API addon that needs only glibc ≤ 2.34 and libgcc_s', async () => {
    const file = join(pkg, 'prebuilds', 'linux-arm64', `${PACKAGE_NAME}.glibc.node`);
    expect(await portabilityProblems(file, 'AArch64')).toEqual([]);
  });

  it('the install step on arm64 Node loads the arm64 prebuild', async () => {
    const { stdout } = await run(join(dir, 'arm64-bin', 'node'), ['-p', 'process.arch']);
    expect(stdout.trim()).toBe('arm64');
    const step = await run(join(dir, 'arm64-bin', 'node'), [join(pkg, 'native', 'check-install.cjs')], {
      cwd: pkg,
      env: armEnv,
    });
    expect(step.stdout).toContain(
      `tezos-hsm-signer: addon prebuilds/linux-arm64/${PACKAGE_NAME}.glibc.node loads`,
    );
  });

  it('the installed bin on arm64: dev-hsm init, keys list, serve and a verified signature per key', async () => {
    const bin = join(app, 'node_modules', '.bin', 'tezos-hsm-signer');
    const r = await signThroughCli({ command: bin, args: [], cwd: app }, armEnv, dir);
    console.info(`arm64 under qemu:\n${r.init}${r.keysList}`);
    expect(r.keysList.trim().split('\n')).toHaveLength(3);
    expect(r.signed.map((s) => s.pkh.slice(0, 3)).sort()).toEqual(['tz1', 'tz2', 'tz3']);
    for (const s of r.signed) {
      console.info(`  ${s.pkh} ${s.signature}`);
      expect(verifySignature(s.hex, s.publicKey, s.signature), s.pkh).toBe(true);
    }
    expect(r.exit).toBe(0);
  }, 400_000);
});
