// GET /bls_prove_possession/<tz4>?bls_pk=BLpk… (docs/tz4.md): the key's proof of possession, as octez's
// signer answers it (src/lib_signer_services: {"bls_prove_possession": "BLsig…"}). Opt-in per key with
// tezos.<pkh>.allow_proof_of_possession; `bls_pk` replaces the signed public key (octez pop_prove ?msg).

import { Hono } from 'hono';
import type { Signer } from '../signer/signer.js';
import { parsePublicKey } from '../tezos/keys.js';
import { httpError } from './errors.js';

export function blsPopRoute(signer: Signer, allowed: (pkh: string) => boolean): Hono {
  const app = new Hono();
  app.get('/:pkh', async (c) => {
    const pkh = c.req.param('pkh');
    const key = signer.key(pkh);
    const prove = key.provePossession;
    if (!prove) throw httpError(400, `${pkh} is not a tz4 key: no proof of possession`);
    if (!allowed(pkh)) {
      throw httpError(
        403,
        `proof of possession is not allowed for ${pkh} (tezos.${pkh}.allow_proof_of_possession)`,
      );
    }
    const override = c.req.query('bls_pk');
    let msg: Uint8Array | undefined;
    if (override !== undefined) {
      let parsed: ReturnType<typeof parsePublicKey>;
      try {
        parsed = parsePublicKey(override);
      } catch (err) {
        throw httpError(400, `bls_pk: ${(err as Error).message}`);
      }
      if (parsed.curve !== 'bls12-381') throw httpError(400, 'bls_pk must be a BLpk… public key');
      msg = parsed.bytes;
    }
    return c.json({ bls_prove_possession: await prove(msg) });
  });
  return app;
}
