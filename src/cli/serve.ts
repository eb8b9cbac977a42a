// `serve --config FILE`: opens the HSM and the watermark store, serves the octez remote-signer API.
// SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the HSM pool and the store, exit 0.
// The parts are wired by buildService (service.ts: HSM, store, signer, authentication, API token, chain-head
// guard, audit log, metrics); here they are bound to their listeners (TLS, the utility listener).

import { loadConfig } from '../config/load.js';
import { closeLogger, createLogger } from '../log/logger.js';
import { exposureWarning } from '../server/exposure.js';
import { type Listening, listen } from '../server/listen.js';
import { parseVerbArgs, requireConfig } from './args.js';
import { Closers } from './closers.js';
import { buildService } from './service.js';

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

export async function serve(argv: string[]): Promise<number> {
  const values = parseVerbArgs(argv, { config: { type: 'string' } });
  const config = await loadConfig(requireConfig(values));
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
    const { signer, app, utilityApp, bls } = await buildService(config, { closers, logger, warn });
    const server = await bind(
      'server.address',
      app,
      config.server.address,
      config.server.tls,
      config.server.limits,
    );
    closers.add('signing listener', () => server.close());
    if (utilityApp) {
      const utility = await bind(
        'server.utility_address',
        utilityApp,
        config.server.utilityAddress!,
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
