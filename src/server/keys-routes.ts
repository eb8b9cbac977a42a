// /keys/<pkh>: GET the public key, POST bytes to sign (DESIGN.md §2).

import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Signer } from '../signer/signer.js';
import { readHexBody } from './body.js';
import { httpError } from './errors.js';

export function keysRoutes(signer: Signer, maxBodyBytes: number): Hono {
  const app = new Hono();
  app.get('/:pkh', (c) => c.json({ public_key: signer.key(c.req.param('pkh')).publicKey }));
  app.post(
    '/:pkh',
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () => {
        throw httpError(413, `request body larger than ${maxBodyBytes} bytes`);
      },
    }),
    async (c) => {
      const pkh = c.req.param('pkh');
      signer.key(pkh); // 404 before reading the body
      // `version` is tolerated (octez >= 18 sends it); `authentication` is not checked yet.
      const msg = await readHexBody(c);
      return c.json({ signature: await signer.sign(pkh, msg) });
    },
  );
  return app;
}
