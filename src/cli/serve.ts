// `serve --config FILE`: opens the HSM and the watermark store, serves the octez remote-signer API.
// SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the HSM pool and the store, exit 0.

import { loadConfig } from '../config/load.js';
import { Policy } from '../policy/policy.js';
import { createApp } from '../server/app.js';
import { listen } from '../server/listen.js';
import { Signer } from '../signer/signer.js';
import { openStore } from '../watermark/open-store.js';
import { parseVerbArgs, requireConfig } from './args.js';
import { openHsm } from './open-hsm.js';

export async function serve(argv: string[]): Promise<number> {
  const values = parseVerbArgs(argv, { config: { type: 'string' } });
  const config = await loadConfig(requireConfig(values));
  const hsm = await openHsm(config);
  let store: Awaited<ReturnType<typeof openStore>> | null = null;
  try {
    store = await openStore(config.watermark);
    const signer = await Signer.create(hsm, store, new Policy(config.tezos));
    const app = createApp(signer, config.server);
    const server = await listen(app, config.server.address);
    process.stdout.write(
      `listening on http://${server.address} keys: ${[...signer.keys.keys()].join(' ')}\n`,
    );
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    process.stderr.write(`${signal}: finishing in-flight requests\n`);
    await server.close();
    return 0;
  } finally {
    await hsm.close();
    await store?.close();
  }
}
