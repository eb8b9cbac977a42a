// CLI for watermarks and config: `watermark import|show|set` against the real file store and
// `config check`, run as the real CLI process. The octez and Signatory files are written in the formats
// their sources define (octez src/bin_signer/handler.ml High_watermark; Signatory
// pkg/signatory/watermark/file.go, watermark_v2/<chain>.json).

import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySigner } from '@taquito/signer';
import { beforeAll, describe, expect, it } from 'vitest';
import { NO_REQUEST_HASH } from '../src/migrate/imported-mark.js';
import { b58encode } from '../src/tezos/base58.js';
import { blake2b256 } from '../src/tezos/hash.js';
import { FileStore } from '../src/watermark/file-store.js';
import { runCli } from './helpers/signer-process.js';

const MAINNET = 'NetXdQprcVkpaWU';
const GHOSTNET = 'NetXnHfVqm9iesp';
const PKH1 = 'tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb';
const PKH3 = b58encode('tz3', new Uint8Array(20).fill(3));
const REQUEST = Buffer.from('1300000000'.repeat(10), 'hex'); // stands for a signed request's bytes
const REQUEST_HASH = Buffer.from(blake2b256(REQUEST)).toString('hex');
let octezSignature: string;

async function setup(): Promise<{ dir: string; config: string; wm: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'cli-wm-'));
  const config = join(dir, 'signer.yaml');
  await writeFile(
    config,
    `server:\n  address: 127.0.0.1:0\nhsm:\n  library: /usr/lib/softhsm/libsofthsm2.so\n  token_label: baker\nwatermark:\n  backend: file\n  dir: ./wm\n`,
  );
  return { dir, config, wm: join(dir, 'wm') };
}

async function octezBaseDir(root: string): Promise<string> {
  const base = join(root, 'octez-signer');
  await mkdir(base);
  await writeFile(
    join(base, 'block_high_watermark'),
    JSON.stringify({
      [MAINNET]: { [PKH1]: { level: 5_000_000, round: 1, hash: REQUEST_HASH, signature: octezSignature } },
    }),
  );
  await writeFile(
    join(base, 'attestation_high_watermark'),
    JSON.stringify({
      [MAINNET]: {
        [PKH1]: { level: 5_000_000, round: 0, hash: 'ab'.repeat(32) }, // no signature kept
        [PKH3]: { level: 4_999_999, round: 2, hash: 'cd'.repeat(32), signature: octezSignature },
      },
      [GHOSTNET]: { [PKH3]: { level: 77, round: 0, hash: 'ef'.repeat(32), signature: octezSignature } },
    }),
  );
  // The pre-Paris name of the same slot: the higher of the two wins.
  await writeFile(
    join(base, 'endorsement_high_watermark'),
    JSON.stringify({ [MAINNET]: { [PKH1]: { level: 4_000_000, hash: '11'.repeat(32) } } }),
  );
  return base;
}

beforeAll(async () => {
  const signer = await InMemorySigner.fromSecretKey('edsk3QoqBuvdamxouPhin7swCvkQNgq4jP5KZPbwWNnwdZpSpJiEbq');
  octezSignature = (await signer.sign(REQUEST.toString('hex'))).prefixSig;
});

describe('watermark import --from octez', () => {
  it('lists without --yes and writes nothing', async () => {
    const { dir, config, wm } = await setup();
    const base = await octezBaseDir(dir);
    const r = await runCli(['watermark', 'import', '--from', 'octez', base, '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`would import ${MAINNET} ${PKH1} block level=5000000 round=1`);
    expect(r.stderr).toMatch(/5 watermark\(s\) read; run again with --yes/);
    const store = await FileStore.open(wm);
    expect(await store.list()).toEqual([]);
    await store.close();
  });

  it('imports every slot, keeps octez signatures for identical requests, refuses the imported height otherwise', async () => {
    const { dir, config, wm } = await setup();
    const base = await octezBaseDir(dir);
    const r = await runCli(['watermark', 'import', '--from', 'octez', base, '--config', config, '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
    const show = await runCli(['watermark', 'show', '--config', config, '--json']);
    expect(show.code).toBe(0);
    const rows = JSON.parse(show.stdout) as Array<Record<string, unknown>>;
    expect(rows).toContainEqual({
      chain: MAINNET,
      pkh: PKH1,
      kind: 'block',
      level: 5_000_000,
      round: 1,
      hash: REQUEST_HASH,
      signature: octezSignature,
    });
    // The attestation slot: the attestation file's mark (5,000,000) beats the legacy endorsement one,
    // and having no signature it is stored with the hash no request matches.
    expect(rows).toContainEqual(
      expect.objectContaining({
        chain: MAINNET,
        pkh: PKH1,
        kind: 'attestation',
        level: 5_000_000,
        round: 0,
        hash: NO_REQUEST_HASH,
      }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({ chain: GHOSTNET, pkh: PKH3, kind: 'attestation', level: 77 }),
    );
    const pkhOnly = await runCli(['watermark', 'show', '--config', config, '--pkh', PKH3]);
    expect(pkhOnly.stdout.trim().split('\n')).toHaveLength(2);
    expect(pkhOnly.stdout).not.toContain(PKH1);

    // The store now behaves as octez would have.
    const store = await FileStore.open(wm);
    try {
      let signed = 0;
      const sign = async () => {
        signed++;
        return 'new-signature';
      };
      const block = { chainId: MAINNET, pkh: PKH1, kind: 'block' as const };
      expect(await store.signOnce(block, { level: 5_000_000, round: 1, hash: REQUEST_HASH }, sign)).toEqual({
        outcome: 'repeat',
        signature: octezSignature,
      });
      const other = { level: 5_000_000, round: 1, hash: 'ee'.repeat(32) };
      expect((await store.signOnce(block, other, sign)).outcome).toBe('refused');
      const att = { chainId: MAINNET, pkh: PKH1, kind: 'attestation' as const };
      expect(
        (await store.signOnce(att, { level: 5_000_000, round: 0, hash: 'ab'.repeat(32) }, sign)).outcome,
      ).toBe('refused');
      expect(
        await store.signOnce(block, { level: 5_000_000, round: 2, hash: 'ee'.repeat(32) }, sign),
      ).toEqual({
        outcome: 'signed',
        signature: 'new-signature',
      });
      expect(signed).toBe(1);
    } finally {
      await store.close();
    }
    // A second import never lowers what the store reached since.
    const again = await runCli(['watermark', 'import', '--from', 'octez', base, '--config', config, '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      `kept     ${MAINNET} ${PKH1} block level=5000000 round=1 (store has level=5000000 round=2)`,
    );
  });

  it('names the file and the path of a malformed entry', async () => {
    const { dir, config } = await setup();
    const base = join(dir, 'bad');
    await mkdir(base);
    await writeFile(
      join(base, 'block_high_watermark'),
      JSON.stringify({ [MAINNET]: { [PKH1]: { level: -1, hash: '00' } } }),
    );
    const r = await runCli(['watermark', 'import', '--from', 'octez', base, '--config', config, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${join(base, 'block_high_watermark')}: ${MAINNET}.${PKH1}.level: expected a non-negative int32`,
    );
    const empty = await mkdtemp(join(tmpdir(), 'cli-wm-empty-'));
    const none = await runCli(['watermark', 'import', '--from', 'octez', empty, '--config', config, '--yes']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no octez *_high_watermark file found');
  });
});

describe('watermark import --from signatory', () => {
  it('imports watermark_v2/<chain>.json, mapping the old kind names', async () => {
    const { dir, config } = await setup();
    const v2 = join(dir, 'signatory', 'watermark_v2');
    await mkdir(v2, { recursive: true });
    const vh = b58encode('vh', blake2b256(REQUEST));
    await writeFile(
      join(v2, `${MAINNET}.json`),
      JSON.stringify(
        {
          [PKH3]: {
            block: { level: 6_000_000, round: 0, hash: vh },
            preendorsement: { level: 6_000_000, round: 3, hash: null },
            attestation: { level: 5_999_999, round: 1 },
            generic: { level: 1, round: 0 },
          },
        },
        null,
        4,
      ),
    );
    const r = await runCli([
      'watermark',
      'import',
      '--from',
      'signatory',
      join(dir, 'signatory'),
      '--config',
      config,
      '--yes',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = JSON.parse(
      (await runCli(['watermark', 'show', '--config', config, '--json'])).stdout,
    ) as Array<Record<string, unknown>>;
    expect(rows.map((x) => [x.kind, x.level, x.round, x.hash])).toEqual([
      ['attestation', 5_999_999, 1, NO_REQUEST_HASH],
      ['block', 6_000_000, 0, NO_REQUEST_HASH], // Signatory keeps no signature: refuse rather than repeat
      ['preattestation', 6_000_000, 3, NO_REQUEST_HASH],
    ]);
  });
});

describe('watermark set', () => {
  it('refuses without --yes, then forces the mark and reports the previous one', async () => {
    const { config } = await setup();
    const args = [
      'watermark',
      'set',
      '--config',
      config,
      '--pkh',
      PKH3,
      '--chain',
      MAINNET,
      '--kind',
      'block',
    ];
    const no = await runCli([...args, '--level', '100', '--round', '2']);
    expect(no.code).toBe(2);
    expect(no.stderr).toContain('without --yes');
    expect((await runCli(['watermark', 'show', '--config', config])).stdout).toBe('no watermark\n');
    const yes = await runCli([...args, '--level', '100', '--round', '2', '--yes']);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toBe(`${MAINNET} ${PKH3} block: level=100 round=2 (was none)\n`);
    const lower = await runCli([...args, '--level', '90', '--round', '0', '--yes']);
    expect(lower.stdout).toContain('level=90 round=0 (was level=100 round=2)');
    const bad = await runCli([...args, '--level=-1', '--round', '0', '--yes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--level: expected 0..2147483647');
    const badKind = await runCli([
      ...args.slice(0, -2),
      '--kind',
      'transaction',
      '--level',
      '1',
      '--round',
      '0',
      '--yes',
    ]);
    expect(badKind.code).toBe(2);
    expect(badKind.stderr).toContain('--kind: expected one of block, preattestation, attestation');
  });
});

describe('config check', () => {
  const BASE = `hsm:\n  library: /usr/lib/softhsm/libsofthsm2.so\n  token_label: baker\nwatermark:\n  backend: memory\n`;
  const check = async (text: string, env: NodeJS.ProcessEnv = { HSM_PIN: '1234' }) => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-cfg-'));
    const file = join(dir, 'signer.yaml');
    await writeFile(file, text);
    return { file, dir, ...(await runCli(['config', 'check', file], env)) };
  };

  it('accepts a full config (authentication, API token, node, log, per-key options) and summarises it', async () => {
    const client = await InMemorySigner.fromSecretKey(
      'edsk3QoqBuvdamxouPhin7swCvkQNgq4jP5KZPbwWNnwdZpSpJiEbq',
    );
    const edpk = await client.publicKey();
    const r = await check(
      `server:\n  address: 127.0.0.1:6732\n  authorized_keys: [${edpk}]\n  api_token_env: SIGNER_TOKEN\n` +
        `node:\n  rpc: http://127.0.0.1:8732\n  max_level_ahead: 2\n  fail_open: false\n` +
        `log:\n  level: debug\n${BASE}tezos:\n  ${PKH3}:\n    log_payloads: true\n    authorized_keys: [${edpk}]\n    allow:\n      block:\n`,
      { HSM_PIN: '1234', SIGNER_TOKEN: 'x'.repeat(32) },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(': ok');
    expect(r.stdout).toContain('request authentication: required');
    expect(r.stdout).toContain('chain-head check: http://127.0.0.1:8732 (fail closed)');
  });

  it('names the file and path of every kind of mistake', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        `server:\n  authorized_keys: [edpkNotAKey]\n${BASE}`,
        /server\.authorized_keys\[0\]: not a usable public key/,
      ],
      [`server:\n  authorized_keys: []\n${BASE}`, /server\.authorized_keys: an empty list/],
      [
        `server:\n  api_token_env: 'bad name'\n${BASE}`,
        /server\.api_token_env: 'bad name' is not a variable name/,
      ],
      [
        `server:\n  tls:\n    cert: ./nope.pem\n    key: ./nope.key\n${BASE}`,
        /server\.tls\.cert: .*nope\.pem does not exist/,
      ],
      [`node:\n  rpc: ftp://x\n${BASE}`, /node\.rpc: expected an http/],
      [`node:\n  rpc: http://x\n  fail_closed: true\n${BASE}`, /node\.fail_closed: unknown key/],
      [`node:\n  max_level_ahead: 2\n${BASE}`, /node\.rpc: required/],
      [`log:\n  level: loud\n${BASE}`, /log\.level: expected one of/],
      [
        `${BASE}tezos:\n  ${PKH3}:\n    log_payload: true\n`,
        new RegExp(`tezos\\.${PKH3}\\.log_payload: unknown key`),
      ],
      [
        `${BASE}tezos:\n  ${PKH3}:\n    authorized_keys: [${PKH1}]\n`,
        new RegExp(`tezos\\.${PKH3}\\.authorized_keys\\[0\\]`),
      ],
    ];
    for (const [text, expected] of cases) {
      const r = await check(text);
      expect(r.code, text).toBe(1);
      expect(r.stderr, text).toMatch(expected);
      expect(r.stderr, text).toContain(r.file);
    }
  });

  it('reports missing environment variables and library', async () => {
    // Empty, not absent: the variables may exist in the test runner's own environment.
    const r = await check(`server:\n  api_token_env: SIGNER_TOKEN\n${BASE}`, {
      HSM_PIN: '',
      SIGNER_TOKEN: '',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hsm.pin_env: environment variable HSM_PIN is not set');
    expect(r.stderr).toContain('server.api_token_env: environment variable SIGNER_TOKEN is not set');
    const lib = await check(BASE.replace('/usr/lib/softhsm/libsofthsm2.so', '/opt/none/libnone.so'));
    expect(lib.code).toBe(1);
    expect(lib.stderr).toContain('hsm.library: /opt/none/libnone.so does not exist');
  });
});
