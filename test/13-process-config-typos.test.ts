// A typo in a configured pkh or chain id would pass as "a key the token does not have" and the real
// key would then be refused (403) while the baker misses its slots: every base58check string in the
// config is checked (checksum and prefix) by `config check` and `serve` alike.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { runCli } from './helpers/signer-process.js';

const GOOD = 'tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb';
/** GOOD with its last character changed: same shape, wrong checksum. */
const TYPO = 'tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjc';
const BASE =
  'hsm:\n  library: /usr/lib/softhsm/libsofthsm2.so\n  token_label: t\nwatermark:\n  backend: memory\n';

function problem(yaml: string): string {
  try {
    parseConfig(BASE + yaml, 'signer.yaml');
    return 'accepted';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('base58check strings in the config', () => {
  it('refuses a pkh with a bad checksum, naming it', () => {
    expect(problem(`tezos:\n  ${GOOD}:\n    allow: {block: }\n`)).toBe('accepted');
    expect(problem(`tezos:\n  ${TYPO}:\n    allow: {block: }\n`)).toBe(
      `signer.yaml: tezos.${TYPO}: bad base58check checksum: a typo in the public key hash?`,
    );
  });

  it('refuses a chain id with a bad checksum', () => {
    expect(problem(`tezos:\n  ${GOOD}:\n    chains: [NetXdQprcVkpaWU]\n`)).toBe('accepted');
    expect(problem(`tezos:\n  ${GOOD}:\n    chains: [NetXdQprcVkpaWV]\n`)).toMatch(
      /tezos\.tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb\.chains: 'NetXdQprcVkpaWV' has a bad base58check checksum/,
    );
  });

  it('refuses a client key with a bad checksum or a prefix that is not a public key', () => {
    const edpk = 'edpkvXqgApF7itoQJn6iciY8M93Tv9969pUwBiVJ8dp1YwNEBABdnM';
    expect(problem(`server:\n  authorized_keys: [${edpk}]\n`)).toBe('accepted');
    expect(problem(`server:\n  authorized_keys: [${edpk.slice(0, -1)}N]\n`)).toMatch(
      /server\.authorized_keys\[0\]: not a usable public key/,
    );
    expect(problem(`tezos:\n  ${GOOD}:\n    authorized_keys: [${GOOD}]\n`)).toMatch(
      /authorized_keys\[0\]: not a usable public key/,
    );
  });

  it('`config check` fails on the typo', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'thsm-typo-'));
    const file = join(dir, 'signer.yaml');
    writeFileSync(file, `${BASE}tezos:\n  ${TYPO}:\n    allow: {block: }\n`);
    const r = await runCli(['config', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`tezos.${TYPO}: bad base58check checksum`);
  });
});
