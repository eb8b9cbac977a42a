// `serve --config FILE`: opens the HSM and the watermark store, serves the octez remote-signer API.
// SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the HSM pool and the store, exit 0.
// Issue #5 parts are wired here: request authentication, API token, TLS, chain-head guard, audit log,
// metrics and the utility listener (/healthz, /readyz, /metrics).

import { ApiToken } from '../auth/api-token.js';
import type { BlsKey } from '../bls/bls-key.js';
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
import { Policy } from '../policy/policy.js';
import { createApp } from '../server/app.js';
import { type Listening, listen } from '../server/listen.js';
import { standardChecks } from '../server/readiness.js';
import { SignObserver } from '../server/sign-observer.js';
import { createUtilityApp } from '../server/utility-app.js';
import { Signer } from '../signer/signer.js';
import { openStore } from '../watermark/open-store.js';
import { parseVerbArgs, requireConfig } from './args.js';
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
  const logger = createLogger({ level: config.log.level, dest: config.log.file ?? 1 });
  const hsm = await openHsm(config);
  let store: Awaited<ReturnType<typeof openStore>> | null = null;
  const guard = config.node ? new ChainHeadGuard(config.node) : null;
  let utility: Listening | null = null;
  let blsKeys: BlsKey[] = [];
  let blsThread: BlsSignThread | null = null;
  try {
    // Issue #8: tz4 secrets are decrypted by the HSM now; any failure refuses to start.
    blsKeys = await unsealDir(hsm, blsKeyDir(config.file));
    // Their secrets then move to a worker thread: BLS arithmetic (blst ~0.4 ms, noble ~13 ms) stays off
    // the event loop.
    const bls = blsKeys.length > 0 ? await BlsSignThread.start(blsKeys) : null;
    blsThread = bls?.thread ?? null;
    store = await openStore(config.watermark, { hsmSessions: config.hsm.sessions });
    const metrics = config.server.utilityAddress
      ? new SignerMetrics({ poolStats: () => hsm.stats(), ...(guard ? { head: () => guard.state() } : {}) })
      : null;
    if (guard) {
      guard.start();
      await firstHead(guard);
    }
    const signer = await Signer.create(
      metrics ? instrumentDevice(hsm, metrics) : hsm,
      metrics ? instrumentStore(store, metrics, config.watermark.backend) : store,
      new Policy(config.tezos),
      { ...(guard ? { check: chainHeadCheck(guard) } : {}), blsKeys: bls?.keys ?? [] },
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
    const server = await listen(app, config.server.address, config.server.tls);
    if (config.server.utilityAddress && metrics) {
      const checks = standardChecks({ hsm, store, head: guard, keys: signer });
      utility = await listen(createUtilityApp({ metrics, checks }), config.server.utilityAddress);
      process.stdout.write(`utility on http://${utility.address}\n`);
    }
    const scheme = config.server.tls ? 'https' : 'http';
    process.stdout.write(
      `listening on ${scheme}://${server.address} keys: ${[...signer.keys.keys()].join(' ')}\n`,
    );
    logger.info(
      {
        address: server.address,
        tls: config.server.tls !== null,
        node: config.node?.rpc ?? null,
        tz4Signing: blsThread?.backend ?? null,
      },
      'serving',
    );
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    process.stderr.write(`${signal}: finishing in-flight requests\n`);
    await server.close();
    return 0;
  } finally {
    await blsThread?.close();
    for (const k of blsKeys) k.wipe();
    await utility?.close();
    await guard?.stop();
    await hsm.close();
    await store?.close();
    await closeLogger(logger);
  }
}
