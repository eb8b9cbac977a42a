// GET /authorized_keys: octez-client asks before every signature, so the answer is a constant.
// `{}` means no request authentication is required (docs/protocol.md, "HTTP API"); else the pkhs
// of the client keys allowed to authenticate (src/auth/request-authenticator.ts).

import { Hono } from 'hono';

export function authorizedKeysRoute(advertised: readonly string[] | null = null): Hono {
  const app = new Hono();
  const body = JSON.stringify(advertised === null ? {} : { authorized_keys: advertised });
  app.get('/', (c) => c.body(body, 200, { 'content-type': 'application/json' }));
  return app;
}
