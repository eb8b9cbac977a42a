// Every server's numbers count only if its answers are real signatures: one answered request per run is
// checked against the key's public key (GET /keys/<pkh>) with @noble/curves, independently of the server.
import { blake2b } from '@noble/hashes/blake2.js';
import type { Curve } from '../../src/hsm/types.js';
import { parsePublicKey } from '../../src/tezos/keys.js';
import { decodeSignature } from '../../src/tezos/signatures.js';
import { verifySignature } from '../../test/helpers/verify.js';
import type { LoadResult } from './spec.js';

export async function checkSample(url: string, pkh: string, result: LoadResult): Promise<void> {
  if (!result.sample) throw new Error(`${url}: no request answered`);
  const msg = Buffer.from(JSON.parse(result.sample.body) as string, 'hex');
  const { signature } = JSON.parse(result.sample.response) as { signature: string };
  const r = await fetch(`${url}/keys/${pkh}`);
  const { public_key } = (await r.json()) as { public_key: string };
  const pk = parsePublicKey(public_key);
  if (pk.pkh !== pkh) throw new Error(`${url}: public key ${public_key} is not ${pkh}`);
  const key = { ref: 0, label: '', id: '', curve: pk.curve as Curve, publicKey: pk.bytes };
  const ok = verifySignature(key, blake2b(msg, { dkLen: 32 }), decodeSignature(signature).bytes);
  if (!ok) throw new Error(`${url}: signature ${signature} does not verify under ${pkh}`);
}
