// tezos-hsm-signer under test: its config for a bench token and watermark backend, and the production
// launcher (bin/tezos-hsm-signer.js over dist/, compiled first exactly as `make build` does).
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestToken } from '../../test/helpers/softhsm.js';
import { type ServerProcess, startServer } from './server-process.js';

const run = promisify(execFile);

export type Backend = { backend: 'memory' } | { backend: 'file' } | { backend: 'postgres'; url: string };

/** Compiles src/ to dist/ (the `ts` step of `make build`). */
export async function buildProduct(): Promise<void> {
  await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
}

/**
 * Writes DIR/NAME.yaml for the token (PIN from HSM_PIN) with `sessions` HSM worker sessions;
 * hsm.sign_ahead as given, else the product's default.
 */
export function productConfig(
  dir: string,
  name: string,
  t: TestToken,
  store: Backend,
  sessions: number,
  signAhead?: boolean,
): string {
  // Every load client signs on a chain id of its own (bench/load/generator.ts), so the per-key chain cap
  // (watermark.max_chains) is raised to its maximum.
  const watermark =
    '  max_chains: 1000\n' +
    (store.backend === 'file'
      ? `  backend: file\n  dir: ${JSON.stringify(join(dir, `${name}-watermarks`))}\n`
      : store.backend === 'postgres'
        ? `  backend: postgres\n  url: ${JSON.stringify(store.url)}\n`
        : '  backend: memory\n');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `server:\n  address: 127.0.0.1:0\nhsm:\n  library: ${t.library}\n  token_label: ${t.tokenLabel}\n` +
      `  pin_env: HSM_PIN\n  sessions: ${sessions}\n${signAhead === undefined ? '' : `  sign_ahead: ${signAhead}\n`}  env:\n    SOFTHSM2_CONF: ${JSON.stringify(t.conf)}\n` +
      `watermark:\n${watermark}`,
  );
  return file;
}

/** `env`: more for the server's environment (e.g. the delay library's settings). */
export function startProduct(
  config: string,
  t: TestToken,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  return startServer('tezos-hsm-signer', ['bin/tezos-hsm-signer.js', 'serve', '--config', config], {
    ...env,
    HSM_PIN: t.pin,
  });
}
