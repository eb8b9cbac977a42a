// `keys generate --curve p256|secp256k1|ed25519 --label L --config FILE [--id HEX]`: creates a key pair
// inside the HSM (token objects; private key sensitive and non-extractable, see Hsm.generateKey) and
// prints its Tezos identity. The private key never leaves the token.

import { loadConfig } from '../config/load.js';
import type { Curve } from '../tezos/curve.js';
import { publicKeyFromPoint } from '../tezos/keys.js';
import { parseVerbArgs, requireConfig, UsageError } from './args.js';
import { openHsm } from './open-hsm.js';

const CURVES: readonly Curve[] = ['p256', 'secp256k1', 'ed25519'];

export async function keysGenerate(argv: string[]): Promise<number> {
  const values = parseVerbArgs(argv, {
    config: { type: 'string' },
    curve: { type: 'string' },
    label: { type: 'string' },
    id: { type: 'string' },
    json: { type: 'boolean' },
  });
  const file = requireConfig(values);
  const curve = values.curve as Curve | undefined;
  if (curve === undefined || !CURVES.includes(curve))
    throw new UsageError(`--curve: expected one of ${CURVES.join(', ')}`);
  if (typeof values.label !== 'string' || values.label === '') throw new UsageError('--label is required');
  if (values.id !== undefined && !/^([0-9a-fA-F]{2}){1,32}$/.test(values.id)) {
    throw new UsageError('--id: expected 1 to 32 bytes of hex');
  }
  const config = await loadConfig(file);
  const hsm = await openHsm(config);
  try {
    const key = await hsm.generateKey(curve, values.label, values.id);
    const { pkh, publicKey } = publicKeyFromPoint(key.curve, key.publicKey);
    const out = { pkh, public_key: publicKey, curve: key.curve, label: key.label, id: key.id };
    process.stdout.write(
      values.json
        ? `${JSON.stringify(out, null, 2)}\n`
        : `${pkh}  ${curve}  ${publicKey}  label=${key.label} id=${key.id}\n`,
    );
    return 0;
  } finally {
    await hsm.close();
  }
}
