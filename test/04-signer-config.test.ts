import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/errors.js';
import { loadConfig, parseConfig } from '../src/config/load.js';
import { readPin } from '../src/config/pin.js';
import { DEFAULT_LIMITS } from '../src/config/types.js';
import { vendorLibrary } from '../src/config/vendors.js';

const BASE = `
hsm:
  library: /usr/lib/softhsm/libsofthsm2.so
  token_label: baker
watermark:
  backend: file
  dir: ./wm
`;

function err(text: string, file = 'signer.yaml'): string {
  try {
    parseConfig(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('parses a full file with defaults and resolves relative paths against its directory', () => {
    const c = parseConfig(
      `${BASE}server:
  address: 0.0.0.0:7000
  utility_address: '[::1]:9583'
  known_keys: true
  max_body_bytes: 4096
tezos:
  tz3bvNMQ95vfAYtG8193ymshqjSvmxiCUuR5:
    allow:
      block:
      attestation: true
      preattestation: false
      generic: [transaction, delegation]
    chains: [NetXdQprcVkpaWU]
`,
      '/etc/tezos/signer.yaml',
    );
    expect(c.server).toEqual({
      address: { host: '0.0.0.0', port: 7000 },
      utilityAddress: { host: '::1', port: 9583 },
      knownKeys: true,
      maxBodyBytes: 4096,
      limits: DEFAULT_LIMITS,
      // authentication, audit and chain-head settings, absent here
      authorizedKeys: null,
      apiTokenEnv: null,
      tls: null,
    });
    expect(c.hsm).toMatchObject({
      library: '/usr/lib/softhsm/libsofthsm2.so',
      tokenLabel: 'baker',
      pinEnv: 'HSM_PIN',
      sessions: 4,
      signAhead: true,
      timeoutMs: 3000,
      maxQueue: 64, // 16 per session
    });
    expect(c.watermark).toEqual({ backend: 'file', dir: '/etc/tezos/wm', maxChains: 4 });
    const p = c.tezos!.get('tz3bvNMQ95vfAYtG8193ymshqjSvmxiCUuR5')!;
    expect(p.block).toBe(true);
    expect(p.attestation).toBe(true);
    expect(p.preattestation).toBe(false);
    expect(p.michelson).toBe(false);
    expect([...p.generic]).toEqual(['transaction', 'delegation']);
    expect([...p.chains!]).toEqual(['NetXdQprcVkpaWU']);
  });

  it('defaults: address 127.0.0.1:6732, tezos absent = null, vendor preset gives the library', () => {
    const c = parseConfig(
      'hsm:\n  vendor: softhsm2\n  slot: "0x2000000000000001"\nwatermark:\n  backend: memory\n',
      'x.yaml',
    );
    expect(c.server.address).toEqual({ host: '127.0.0.1', port: 6732 });
    expect(c.tezos).toBeNull();
    expect(c.hsm.library).toBe(vendorLibrary('softhsm2'));
    expect(c.hsm.slot).toBe(0x2000000000000001n);
    expect(
      parseConfig(BASE.replace('token_label: baker', 'token_label: baker\n  sign_ahead: false'), 'x.yaml').hsm
        .signAhead,
    ).toBe(false);
    const tuned = parseConfig(
      BASE.replace('token_label: baker', 'token_label: baker\n  sessions: 2\n  timeout_ms: 1500'),
      'x.yaml',
    ).hsm;
    expect(tuned).toMatchObject({ timeoutMs: 1500, maxQueue: 32 });
    expect(
      parseConfig(BASE.replace('token_label: baker', 'token_label: baker\n  max_queue: 5'), 'x.yaml').hsm
        .maxQueue,
    ).toBe(5);
  });

  it('names the file and path of every error', () => {
    expect(err(`${BASE}  tokn_label: x\n`)).toBe('signer.yaml: watermark.tokn_label: unknown key');
    expect(err(BASE.replace('token_label: baker', 'token_label: baker\n  tokn_label: x'))).toBe(
      'signer.yaml: hsm.tokn_label: unknown key',
    );
    // A misspelt key is reported before what its absence implies (no token selector).
    expect(err(BASE.replace('token_label:', 'tokn_label:'))).toBe('signer.yaml: hsm.tokn_label: unknown key');
    expect(err(`${BASE}surprise: 1\n`)).toBe('signer.yaml: surprise: unknown key');
    expect(err(`${BASE}server:\n  address: localhost\n`)).toMatch(
      /^signer\.yaml: server\.address: expected host:port/,
    );
    expect(err(`${BASE}server:\n  max_body_bytes: 10\n`)).toMatch(
      /^signer\.yaml: server\.max_body_bytes: expected an integer/,
    );
    expect(err(BASE.replace('token_label: baker', 'token_label: baker\n  slot: 1'))).toMatch(
      /hsm\.token_label: give exactly one of/,
    );
    expect(err(BASE.replace('  library: /usr/lib/softhsm/libsofthsm2.so\n', ''))).toMatch(
      /hsm\.library: required/,
    );
    expect(err(BASE.replace('/usr/lib/softhsm/libsofthsm2.so', 'libsofthsm2.so'))).toMatch(
      /hsm\.library: expected a path/,
    );
    expect(err(BASE.replace('backend: file', 'backend: sqlite'))).toMatch(
      /watermark\.backend: expected one of file, postgres, memory/,
    );
    expect(err(BASE.replace('  dir: ./wm\n', ''))).toMatch(/watermark\.dir: required/);
    expect(err(BASE.replace('token_label: baker', 'token_label: baker\n  sign_ahead: 1'))).toMatch(
      /hsm\.sign_ahead: expected/,
    );
    expect(err(BASE.replace('token_label: baker', 'token_label: baker\n  timeout_ms: 0'))).toMatch(
      /hsm\.timeout_ms: expected an integer/,
    );
    expect(err(BASE.replace('token_label: baker', 'token_label: baker\n  max_queue: -1'))).toMatch(
      /hsm\.max_queue: expected an integer/,
    );
    expect(err(`${BASE}tezos:\n  tz1nope:\n    allow: {block: }\n`)).toMatch(
      /tezos\.tz1nope: expected a tz1\/tz2\/tz3/,
    );
    expect(err(`${BASE}tezos:\n  tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb:\n    allow: {blok: }\n`)).toBe(
      'signer.yaml: tezos.tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb.allow.blok: unknown key',
    );
    expect(
      err(
        `${BASE}tezos:\n  tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb:\n    allow: {block: }\n    chains: [mainnet]\n`,
      ),
    ).toMatch(/tezos\.tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb\.chains: 'mainnet' is not a chain id/);
    expect(
      err(`${BASE}tezos:\n  tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb:\n    allow: {generic: transaction}\n`),
    ).toMatch(/allow\.generic: expected a list/);
    // A consensus operation under 0x03 would sign outside its watermark slot; a typo signs nothing.
    expect(
      err(`${BASE}tezos:\n  tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb:\n    allow: {generic: [attestation]}\n`),
    ).toMatch(/allow\.generic: 'attestation' would bypass the watermark/);
    expect(
      err(`${BASE}tezos:\n  tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb:\n    allow: {generic: [transfer]}\n`),
    ).toMatch(/allow\.generic: unknown operation kind 'transfer'/);
    expect(err('hsm: [1]\n')).toBe('signer.yaml: hsm: expected a mapping');
    expect(err('a: 1\na: 2\n')).toMatch(/^signer\.yaml: invalid YAML/);
  });

  it('loadConfig names an unreadable file', async () => {
    await expect(loadConfig('/nonexistent/signer.yaml')).rejects.toThrow(
      '/nonexistent/signer.yaml: cannot read: ENOENT',
    );
  });

  it('reads the PIN from pin_env, or from an owner-only pin_file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const c = parseConfig(
      BASE.replace('token_label: baker', 'token_label: baker\n  pin_env: MY_PIN'),
      join(dir, 's.yaml'),
    );
    expect(readPin(c, { MY_PIN: '1234' })).toBe('1234');
    expect(() => readPin(c, {})).toThrow(/s\.yaml: hsm\.pin_env: environment variable MY_PIN is not set/);

    writeFileSync(join(dir, 'pin'), '5678\n', { mode: 0o600 });
    const f = parseConfig(
      BASE.replace('token_label: baker', 'token_label: baker\n  pin_file: ./pin'),
      join(dir, 's.yaml'),
    );
    expect(readPin(f, {})).toBe('5678');
    chmodSync(join(dir, 'pin'), 0o644);
    expect(() => readPin(f, {})).toThrow(/hsm\.pin_file: .*readable by its owner only/);
    expect(
      err(BASE.replace('token_label: baker', 'token_label: baker\n  pin_file: p\n  pin_env: X')),
    ).toMatch(/hsm\.pin_file: give pin_env or pin_file, not both/);
  });
});
