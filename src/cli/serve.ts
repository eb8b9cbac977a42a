// `serve --config FILE`: opens the HSM and the watermark store, serves the octez remote-signer API.
// SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the HSM pool and the store, exit 0.
// Issue #5 parts are wired here: request authentication, API token, TLS, chain-head guard, audit log,
// metrics and the utility listener (/healthz, /readyz, /metrics).

import { ApiToken } from '../auth/api-token.js';
import { blsKeyDir, unsealDir } from '../bls/key-dir.js';
import { BlsSignThread } from '../bls/sign-thread.js';
import { RequestAuthenticator } from '../auth/request-authenticator.js';
import { ChainHeadGuard } from '../chain/head-guard.js';
import { chainHeadCheck } from '../chain/request-check.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import type { Logger } from 'pino';
import { createLogger, closeLogger } from '../log/logger.js';
import { instrumentDevice } from '../metrics/instrumented-device.js';
import { instrumentStore } from '../metrics/instrumented-store.js';
import { SignerMetrics } from '../metrics/signer-metrics.js';
import { ChainCap } from '../policy/chain-cap.js';
import { Policy } from '../policy/policy.js';
import { createApp } from '../server/app.js';
import { type Listening, listen } from '../server/listen.js';
import { exposureWarning } from '../server/exposure.js';
import { standardChecks } from '../server/readiness.js';
import { SignObserver } from '../server/sign-observer.js';
import { createUtilityApp } from '../server/utility-app.js';
import { Signer } from '../signer/signer.js';
import { openStore } from '../watermark/open-store.js';
import { parseVerbArgs, requireConfig } from './args.js';
import { Closers } from './closers.js';
import { openHsm } from './open-hsm.js';

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

/** Binds `at`, naming the setting in the error (EADDRINUSE alone does not say which port). */
async function bind(what: string, ...args: Parameters<typeof listen>): Promise<Listening> {
  try {
    return await listen(...args);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? 'address already in use (EADDRINUSE)' : e.message;
    throw new Error(`cannot listen on ${what} ${args[1].host}:${args[1].port}: ${why}`);
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

export async function serve(argv: string[]): Promise<number> {
  const values = parseVerbArgs(argv, { config: { type: 'string' } });
  const config = await loadConfig(requireConfig(values));
  // Checked before the HSM opens so a missing variable fails fast.
  const apiToken = config.server.apiTokenEnv ? ApiToken.fromEnv(config.server.apiTokenEnv) : null;
  const authenticator = authenticatorOf(config);
  // Everything opened below is closed in reverse order on the way out, start-up failure included.
  const closers = new Closers();
  const logger = createLogger({ level: config.log.level, dest: config.log.file ?? 1 });
  closers.add('log', () => closeLogger(logger));
  let serving = false;
  try {
    const warn = (msg: string) => {
      process.stderr.write(`warning: ${msg}\n`);
      logger.warn(msg);
    };
    const hsm = await openHsm(config);
    closers.add('HSM', () => hsm.close());
    // Issue #8: tz4 secrets are decrypted by the HSM now; any failure refuses to start.
    const blsKeys = await unsealDir(hsm, blsKeyDir(config.file));
    closers.add('tz4 keys', () => {
      for (const k of blsKeys) k.wipe();
    });
    // Their secrets then move to a worker thread: BLS arithmetic (blst ~0.4 ms, noble ~13 ms) stays off
    // the event loop.
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
    const server = await bind(
      'server.address',
      app,
      config.server.address,
      config.server.tls,
      config.server.limits,
    );
    closers.add('signing listener', () => server.close());
    if (config.server.utilityAddress && metrics) {
      const checks = standardChecks({ hsm, store, head: guard, keys: signer });
      const utility = await bind(
        'server.utility_address',
        createUtilityApp({ metrics, checks }),
        config.server.utilityAddress,
        null,
        config.server.limits,
      );
      closers.add('utility listener', () => utility.close());
      process.stdout.write(`utility on http://${utility.address}\n`);
    }
    const exposed = exposureWarning(config);
    if (exposed) warn(exposed);
    for (const pkh of config.tezos?.keys() ?? [])
      if (!signer.keys.has(pkh) && !signer.unsignable.has(pkh))
        warn(`tezos.${pkh} is configured but no such key is on the token`);
    // Listening for signals before saying so: a supervisor may stop us as soon as it reads the line.
    const signal = new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    serving = true;
    const scheme = config.server.tls ? 'https' : 'http';
    process.stdout.write(
      `listening on ${scheme}://${server.address} keys: ${[...signer.keys.keys()].join(' ')}\n`,
    );
    logger.info(
      {
        address: server.address,
        tls: config.server.tls !== null,
        node: config.node?.rpc ?? null,
        tz4Signing: bls?.thread.backend ?? null,
      },
      'serving',
    );
    process.stderr.write(`${await signal}: finishing in-flight requests\n`);
    // The signing listener first: in-flight requests finish before anything they use is closed.
    await server.close();
    return 0;
  } catch (err) {
    if (!serving)
      logger.error({ error: err instanceof Error ? err.message : String(err) }, 'start-up failed');
    throw err;
  } finally {
    await closers.closeAll();
  }
}
