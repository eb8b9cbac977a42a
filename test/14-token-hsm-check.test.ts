// `hsm check` on SoftHSM2 (every curve): each curve timed with a probe key pair that is gone afterwards,
// every key with its pkh, a CKA_ALWAYS_AUTHENTICATE key reported unusable and why, and exit 1 when such a
// key (or one absent from the token) is listed under `tezos`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyReport } from '../src/cli/hsm-check-report.js';
import { buildFaultLibrary } from './helpers/fault-pkcs11.js';
import { runCli } from './helpers/signer-process.js';
import { createToken, pkcs11Tool, type TestToken } from './helpers/softhsm.js';

let token: TestToken;
let dir: string;
let config: string;
let env: NodeJS.ProcessEnv;
const hsmYaml = (t: TestToken) =>
  `hsm:\n  library: ${t.library}\n  token_label: ${t.tokenLabel}\n  sessions: 2\n  env:\n    SOFTHSM2_CONF: ${t.conf}\n`;

beforeAll(async () => {
  token = await createToken({ label: 'check-token' });
  // A key that wants the PIN again before every signature: the signer cannot use it unattended.
  await pkcs11Tool(token, [
    ...['--keypairgen', '--key-type', 'EC:prime256v1', '--label', 'always-auth', '--id', '09'],
    '--always-auth',
  ]);
  dir = await mkdtemp(join(tmpdir(), 'hsm-check-'));
  config = join(dir, 'signer.yaml');
  await writeFile(config, `${hsmYaml(token)}watermark:\n  backend: memory\n`);
  env = { HSM_PIN: token.pin };
});

afterAll(async () => {
  await token?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('hsm check on SoftHSM2', () => {
  let keys: KeyReport[];

  it('times every curve with a probe key pair and leaves nothing on the token', async () => {
    const before = JSON.parse((await runCli(['keys', 'list', '--config', config, '--json'], env)).stdout);
    const r = await runCli(['hsm', 'check', '--config', config, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.library).toBe(token.library);
    for (const c of report.curves) {
      expect(c).toMatchObject({ signs: true, error: null, probeOnToken: false });
      expect(c.latency.n).toBe(20);
      expect(c.latency.p50).toBeGreaterThan(0);
      expect(c.latency.p99).toBeGreaterThanOrEqual(c.latency.p50);
    }
    expect(report.curves.map((c: { prefix: string }) => c.prefix)).toEqual(['tz1', 'tz2', 'tz3']);
    expect(report.tz4).toEqual({ mechanism: 'aes-gcm', error: null });
    expect(report.sessions).toEqual({
      configured: 2,
      maxSessionCount: 0,
      maxRwSessionCount: 0,
      opened: 2,
      note: null,
    });
    expect(report.token).toMatchObject({ label: 'check-token', manufacturer: 'SoftHSM project' });
    expect(report.mechanismCount).toBeGreaterThan(20);
    expect(report.mechanisms.every((m: { offered: boolean }) => m.offered)).toBe(true);
    expect(report.problems).toEqual([]);
    keys = report.keys;
    const after = JSON.parse((await runCli(['keys', 'list', '--config', config, '--json'], env)).stdout);
    expect(after).toEqual(before);
  });

  it('reports every key with its pkh, and the CKA_ALWAYS_AUTHENTICATE one as unusable', () => {
    const usable = keys.filter((k) => k.usable);
    expect(usable.map((k) => [k.label, k.curve, k.pkh!.slice(0, 3)]).sort()).toEqual([
      ['tz1-key', 'ed25519', 'tz1'],
      ['tz2-key', 'secp256k1', 'tz2'],
      ['tz3-key', 'p256', 'tz3'],
    ]);
    const aa = keys.find((k) => k.label === 'always-auth')!;
    expect(aa).toMatchObject({ curve: 'p256', id: '09', usable: false });
    expect(aa.pkh).toMatch(/^tz3/);
    expect(aa.reason).toMatch(/CKA_ALWAYS_AUTHENTICATE/);
  });

  it('exits 1 naming the keys listed under tezos that cannot sign', async () => {
    const aa = keys.find((k) => k.label === 'always-auth')!.pkh!;
    const tz1 = keys.find((k) => k.label === 'tz1-key')!.pkh!;
    const absent = 'tz1burnburnburnburnburnburnburjAYjjX';
    const listed = join(dir, 'listed.yaml');
    await writeFile(
      listed,
      `${hsmYaml(token)}watermark:\n  backend: memory\ntezos:\n  ${tz1}:\n  ${aa}:\n  ${absent}:\n`,
    );
    const r = await runCli(['hsm', 'check', '--config', listed], env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`${aa}: listed under tezos but not usable: CKA_ALWAYS_AUTHENTICATE`);
    expect(r.stdout).toContain(`${absent}: listed under tezos but not on the token`);
    expect(r.stdout).not.toMatch(new RegExp(`problems[\\s\\S]*${tz1}`));
    expect(r.stdout).toMatch(new RegExp(`${tz1} {2}ed25519 {2}label=tz1-key id=01 \\[tezos\\] {2}usable`));
  });

  it('is in the usage and refuses unknown flags', async () => {
    const help = await runCli(['help']);
    expect(help.stdout).toContain('tezos-hsm-signer hsm check --config FILE [--json]');
    const bad = await runCli(['hsm', 'check', '--config', config, '--bogus'], env);
    expect(bad.code).toBe(2);
  });

  it('caps the pool by ulMaxRwSessionCount (every session is read/write) and says so', async () => {
    // The wrapper reports ulMaxRwSessionCount 3 over SoftHSM2's unlimited ulMaxSessionCount.
    const fault = await buildFaultLibrary(dir, ['rw-sessions-3']);
    const capped = join(dir, 'capped.yaml');
    await writeFile(
      capped,
      `hsm:\n  library: ${fault.library}\n  token_label: ${token.tokenLabel}\n  sessions: 8\nwatermark:\n  backend: memory\n`,
    );
    const r = await runCli(['hsm', 'check', '--config', capped, '--json'], {
      ...env,
      ...token.env,
      ...fault.env,
    });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.sessions).toEqual({
      configured: 8,
      maxSessionCount: 0,
      maxRwSessionCount: 3,
      opened: 2,
      note: "the token's session limit allows 2 worker sessions, not the 8 of hsm.sessions",
    });
    const text = await runCli(['hsm', 'check', '--config', capped], { ...env, ...token.env, ...fault.env });
    expect(text.stdout).toMatch(
      /sessions {2}hsm\.sessions 8; token max no limit, max read\/write 3; opened 2 \(\+1 for login\)/,
    );
  });
});
