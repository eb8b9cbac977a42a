// The whole signer wired from a config: HSM, tz4 keys and their signing thread, watermark store, chain-head
// guard, metrics, signer and the Hono apps. `serve` binds its apps to sockets; tests call it to run the
// wiring production runs. Everything opened is added to `closers`, so a failure half-way closes what was
// opened, in reverse order.

import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { ApiToken } from '../auth/api-token.js';
import { RequestAuthenticator } from '../auth/request-authenticator.js';
import { blsKeyDir, unsealDir } from '../bls/key-dir.js';
import { BlsSignThread } from '../bls/sign-thread.js';
import { ChainHeadGuard } from '../chain/head-guard.js';
import { chainHeadCheck } from '../chain/request-check.js';
import type { Config } from '../config/types.js';
import type { Hsm } from '../hsm/index.js';
import { instrumentDevice } from '../metrics/instrumented-device.js';
import { instrumentStore } from '../metrics/instrumented-store.js';
import { SignerMetrics } from '../metrics/signer-metrics.js';
import { ChainCap } from '../policy/chain-cap.js';
import { Policy } from '../policy/policy.js';
import { createApp } from '../server/app.js';
import { standardChecks } from '../server/readiness.js';
import { SignObserver } from '../server/sign-observer.js';
import { createUtilityApp } from '../server/utility-app.js';
import { Signer } from '../signer/signer.js';
import { openStore } from '../watermark/open-store.js';
import type { WatermarkStore } from '../watermark/store.js';
import type { Closers } from './closers.js';
import { openHsm } from './open-hsm.js';

export interface ServiceContext {
  closers: Closers;
  logger: Logger;
  /** Start-up warnings an operator must see (stderr and the log). */
  warn(msg: string): void;
}

export interface Service {
  hsm: Hsm;
  store: WatermarkStore;
  signer: Signer;
  /** The signing API. */
  app: Hono;
  /** /healthz, /readyz, /metrics: only when server.utility_address is set. */
  utilityApp: Hono | null;
  guard: ChainHeadGuard | null;
  bls: Awaited<ReturnType<typeof BlsSignThread.start>> | null;
}

/** How long start-up waits for the node's first answer before serving (refusing meanwhile if fail-closed). */
const FIRST_HEAD_WAIT_MS = 3_000;

function authenticatorOf(config: Config): RequestAuthenticator {
  const perKey = new Map<string, string[]>();
  for (const [pkh, ops] of config.keyOps)
    if (ops.authorizedKeys !== null) perKey.set(pkh, ops.authorizedKeys);
  return new RequestAuthenticator(config.server.authorizedKeys, perKey);
}

async function firstHead(guard: ChainHeadGuard): Promise<void> {
  const deadline = Date.now() + FIRST_HEAD_WAIT_MS;
  while (!guard.state().reachable && Date.now() < deadline) {
    await Promise.race([guard.monitor.changed(), new Promise((r) => setTimeout(r, 100))]);
  }
}

/** Keys the token cannot sign with are named at start; no usable key at all is an error-level line. */
function warnUnsignable(signer: Signer, logger: Logger): void {
  for (const k of signer.unsignable.values()) {
    logger.warn(
      { pkh: k.pkh, label: k.label, curve: k.curve, mechanism: k.mechanism },
      `key ${k.pkh} (label '${k.label}', ${k.curve}) not offered: the token does not offer ${k.mechanism}`,
    );
  }
  if (signer.keys.size === 0) {
    logger.error(
      { unsignable: [...signer.unsignable.keys()] },
      'no usable key: every request will be refused and /readyz answers 503',
    );
  }
}

export async function buildService(config: Config, ctx: ServiceContext): Promise<Service> {
  const { closers, logger, warn } = ctx;
  // Checked before the HSM opens so a missing variable fails fast.
  const apiToken = config.server.apiTokenEnv ? ApiToken.fromEnv(config.server.apiTokenEnv) : null;
  const authenticator = authenticatorOf(config);
  const hsm = await openHsm(config);
  closers.add('HSM', () => hsm.close());
  // tz4 secrets are decrypted by the HSM now (docs/tz4.md); any failure refuses to start.
  const blsKeys = await unsealDir(hsm, blsKeyDir(config.file));
  closers.add('tz4 keys', () => {
    for (const k of blsKeys) k.wipe();
  });
  // Their secrets then move to a worker thread: a BLS signature takes longer than the event loop may
  // stall (docs/performance.md).
  const bls = blsKeys.length > 0 ? await BlsSignThread.start(blsKeys) : null;
  if (bls) closers.add('tz4 signing thread', () => bls.thread.close());
  const store = await openStore(config.watermark, { hsmSessions: config.hsm.sessions, onWarning: warn });
  closers.add('watermark store', () => store.close());
  const guard = config.node ? new ChainHeadGuard(config.node) : null;
  const metrics = config.server.utilityAddress
    ? new SignerMetrics({
        poolStats: () => hsm.stats(),
        ...(guard ? { head: () => guard.state() } : {}),
        ...(store.durabilityWarning ? { durability: () => store.durabilityWarning!() } : {}),
      })
    : null;
  if (guard) {
    closers.add('chain-head monitor', () => guard.stop());
    guard.start();
    await firstHead(guard);
  }
  // Chains already in the store count towards each key's cap.
  const chainCap = new ChainCap(config.watermark.maxChains);
  for (const { slot } of await store.list()) chainCap.note(slot.pkh, slot.chainId);
  const signer = await Signer.create(
    metrics ? instrumentDevice(hsm, metrics) : hsm,
    metrics ? instrumentStore(store, metrics, config.watermark.backend) : store,
    new Policy(config.tezos),
    { ...(guard ? { check: chainHeadCheck(guard) } : {}), blsKeys: bls?.keys ?? [], chainCap },
  );
  warnUnsignable(signer, logger);
  const observer = new SignObserver({
    logger,
    metrics,
    logPayloads: (pkh) => config.keyOps.get(pkh)?.logPayloads ?? false,
  });
  const app = createApp(signer, {
    ...config.server,
    authenticator,
    apiToken,
    observer,
    proofOfPossession: (pkh) => config.keyOps.get(pkh)?.allowProofOfPossession ?? false,
  });
  const utilityApp =
    config.server.utilityAddress && metrics
      ? createUtilityApp({ metrics, checks: standardChecks({ hsm, store, head: guard, keys: signer }) })
      : null;
  return { hsm, store, signer, app, utilityApp, guard, bls };
}
