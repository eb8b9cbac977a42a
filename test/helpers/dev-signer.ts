// An in-process signer over a real SoftHSM2 token made by `dev-hsm init` in a temporary directory
// (one tz1, tz2 and tz3 key generated in the token). One per test file: SoftHSM2 reads SOFTHSM2_CONF once
// per process, when the library is initialised.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { devHsmInit } from '../../src/cli/dev-hsm.js';
import { openHsm } from '../../src/cli/open-hsm.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { Policy } from '../../src/policy/policy.js';
import { createApp } from '../../src/server/app.js';
import { Signer } from '../../src/signer/signer.js';
import { openStore } from '../../src/watermark/open-store.js';
import type { WatermarkStore } from '../../src/watermark/store.js';

/** Creates the token and keys under a fresh directory; returns it and the pkhs by prefix. */
export async function devToken(): Promise<{
  dir: string;
  config: string;
  pkhs: Record<'tz1' | 'tz2' | 'tz3', string>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'signer-dev-'));
  const write = process.stdout.write;
  let out = '';
  // devHsmInit reports on stdout; keep test output quiet and read the pkhs from it.
  process.stdout.write = ((s: string) => {
    out += s;
    return true;
  }) as typeof process.stdout.write;
  try {
    if ((await devHsmInit(['--dir', dir])) !== 0) throw new Error('dev-hsm init failed');
  } finally {
    process.stdout.write = write;
  }
  const pkh = (p: string) => new RegExp(`\\b(${p}[1-9A-HJ-NP-Za-km-z]{33})\\b`).exec(out)![1]!;
  return {
    dir,
    config: join(dir, 'signer.yaml'),
    pkhs: { tz1: pkh('tz1'), tz2: pkh('tz2'), tz3: pkh('tz3') },
  };
}

/** Writes a config variant next to the dev one (same token, PIN file and SOFTHSM2_CONF). */
export function writeVariant(dir: string, name: string, base: string, extra: string): string {
  const file = join(dir, name);
  writeFileSync(file, base + extra);
  return file;
}

export interface DevSigner {
  config: Config;
  signer: Signer;
  store: WatermarkStore;
  app: Hono;
  close(): Promise<void>;
}

/** Opens HSM, store, signer and app for a config file. */
export async function openSigner(configFile: string): Promise<DevSigner> {
  const config = await loadConfig(configFile);
  const hsm = await openHsm(config);
  const store = await openStore(config.watermark);
  const signer = await Signer.create(hsm, store, new Policy(config.tezos));
  return {
    config,
    signer,
    store,
    app: createApp(signer, config.server),
    close: async () => {
      await hsm.close();
      await store.close();
    },
  };
}
