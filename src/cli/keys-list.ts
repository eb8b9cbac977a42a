// `keys list --config FILE [--json]`: every usable key on the token (pkh, public key, curve, label, id).

import { blsKeyDir, readSealedDir } from '../bls/key-dir.js';
import { loadConfig } from '../config/load.js';
import { buildKeyring, type SigningKey } from '../signer/keyring.js';
import { parseVerbArgs, requireConfig } from './args.js';
import { openHsm } from './open-hsm.js';

export async function keysList(argv: string[]): Promise<number> {
  const values = parseVerbArgs(argv, { config: { type: 'string' }, json: { type: 'boolean' } });
  const config = await loadConfig(requireConfig(values));
  const hsm = await openHsm(config);
  try {
    const keys = [...buildKeyring(await hsm.keys(), hsm).values()].map((k) => ({
      pkh: k.pkh,
      public_key: k.publicKey,
      curve: k.curve as SigningKey['curve'],
      label: k.label,
      id: k.id,
    }));
    // tz4 keys sealed beside the config (docs/tz4.md): listed from their files, not unsealed here.
    for (const { sealed } of await readSealedDir(blsKeyDir(config.file))) {
      keys.push({
        pkh: sealed.pkh,
        public_key: sealed.publicKey,
        curve: 'bls12-381',
        label: sealed.keyLabel,
        id: '',
      });
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
    } else {
      for (const k of keys) {
        process.stdout.write(
          `${k.pkh}  ${k.curve.padEnd(9)}  ${k.public_key}  label=${k.label} id=${k.id}\n`,
        );
      }
    }
    return 0;
  } finally {
    await hsm.close();
  }
}
