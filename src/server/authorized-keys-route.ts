// GET /authorized_keys: octez-client asks before every signature, so the answer is a constant.
// `{}` means no request authentication is required (DESIGN.md §2).

import { Hono } from 'hono';

export function authorizedKeysRoute(): Hono {
  const app = new Hono();
  const body = JSON.stringify({});
  app.get('/', (c) => c.body(body, 200, { 'content-type': 'application/json' }));
  return app;
}
