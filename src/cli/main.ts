// CLI entry: `tezos-hsm-signer <verb> …` (shared/CONTRACT.md, CLI). Returns the exit code.

import { ConfigError } from '../config/errors.js';
import { UsageError } from './args.js';
import { configCheck } from './config-check.js';
import { devHsmInit } from './dev-hsm.js';
import { hsmCheck } from './hsm-check.js';
import { keysBls, wantsBls } from './keys-bls.js';
import { keysGenerate } from './keys-generate.js';
import { keysList } from './keys-list.js';
import { serve } from './serve.js';
import { watermarkImport } from './watermark-import.js';
import { watermarkSet } from './watermark-set.js';
import { watermarkShow } from './watermark-show.js';

const USAGE = `usage:
  tezos-hsm-signer serve --config FILE
  tezos-hsm-signer keys list --config FILE [--json]
  tezos-hsm-signer dev-hsm init [--dir ./var]
  tezos-hsm-signer keys generate --curve p256|secp256k1|ed25519 --label L --config FILE [--id HEX] [--json]
  tezos-hsm-signer keys generate --curve bls12-381 --label L --config FILE [--aes-label A] [--json]
  tezos-hsm-signer keys import --curve bls12-381 --label L --config FILE [--file PATH|-] [--aes-label A] [--json]
  tezos-hsm-signer watermark show --config FILE [--pkh PKH] [--json]
  tezos-hsm-signer watermark set --config FILE --pkh PKH --chain NET --kind KIND --level N --round N --yes
  tezos-hsm-signer watermark import --from octez|signatory PATH --config FILE [--yes]
  tezos-hsm-signer config check FILE
  tezos-hsm-signer hsm check --config FILE [--json]`;

async function run(argv: string[]): Promise<number> {
  const [verb, sub, ...rest] = argv;
  if (verb === 'serve') return serve(argv.slice(1));
  if (verb === 'keys' && sub === 'list') return keysList(rest);
  if (verb === 'dev-hsm' && sub === 'init') return devHsmInit(rest);
  if (verb === 'keys' && sub === 'generate' && wantsBls(rest)) return keysBls('generate', rest);
  if (verb === 'keys' && sub === 'import') return keysBls('import', rest);
  if (verb === 'keys' && sub === 'generate') return keysGenerate(rest);
  if (verb === 'watermark' && sub === 'show') return watermarkShow(rest);
  if (verb === 'watermark' && sub === 'set') return watermarkSet(rest);
  if (verb === 'watermark' && sub === 'import') return watermarkImport(rest);
  if (verb === 'config' && sub === 'check') return configCheck(rest);
  if (verb === 'hsm' && sub === 'check') return hsmCheck(rest);
  if (verb === undefined || verb === 'help' || verb === '--help' || verb === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return verb === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown command: ${argv.join(' ')}`);
}

export async function main(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
