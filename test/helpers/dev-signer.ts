// An in-process signer over a real SoftHSM2 token made by `dev-hsm init` in a temporary directory
// (one tz1, tz2 and tz3 key generated in the token), wired as `serve` wires it. One per test file: SoftHSM2 reads SOFTHSM2_CONF once
// per process, when the library is initialised.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Hono } from 'hono';
import { Closers } from '../../src/cli/closers.js';
import { devHsmInit } from '../../src/cli/dev-hsm.js';
import { buildService, type Service } from '../../src/cli/service.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { closeLogger, createLogger } from '../../src/log/logger.js';
import type { Signer } from '../../src/signer/signer.js';
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
  /** Everything buildService wired: hsm, store, signer, app, utilityApp, guard, bls. */
  service: Service;
  signer: Signer;
  store: WatermarkStore;
  app: Hono;
  /** The log (audit lines included), in the config file's directory. */
  logFile: string;
  /** The start-up warnings buildService gave. */
  warnings: string[];
  close(): Promise<void>;
}

/**
 * The signer `serve` runs, wired by buildService (src/cli/service.ts) from a config file, without the
 * listeners: tests drive `app` in process. close() runs the same closers as serve's shutdown.
 */
export async function openSigner(configFile: string): Promise<DevSigner> {
  const config = await loadConfig(configFile);
  const closers = new Closers();
  const logFile = join(dirname(configFile), 'signer.log');
  const logger = createLogger({ level: config.log.level, dest: logFile });
  closers.add('log', () => closeLogger(logger));
  const warnings: string[] = [];
  let service: Service;
  try {
    service = await buildService(config, { closers, logger, warn: (m) => warnings.push(m) });
  } catch (err) {
    await closers.closeAll();
    throw err;
  }
  return {
    config,
    service,
    signer: service.signer,
    store: service.store,
    app: service.app,
    logFile,
    warnings,
    close: () => closers.closeAll(),
  };
}
