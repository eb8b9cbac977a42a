// GET /known_keys (opt-in with server.known_keys): the pkhs this signer may sign with.

import { Hono } from 'hono';
import type { Signer } from '../signer/signer.js';

export function knownKeysRoute(signer: Signer): Hono {
  const app = new Hono();
  const body = JSON.stringify({ known_keys: signer.knownKeys() });
  app.get('/', (c) => c.body(body, 200, { 'content-type': 'application/json' }));
  return app;
}
