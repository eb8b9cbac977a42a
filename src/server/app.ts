// The octez remote-signer HTTP API as a Hono app (DESIGN.md §2); one router per resource.

import { Hono } from 'hono';
import type { Signer } from '../signer/signer.js';
import { authorizedKeysRoute } from './authorized-keys-route.js';
import { errorBody, onError } from './errors.js';
import { keysRoutes } from './keys-routes.js';
import { knownKeysRoute } from './known-keys-route.js';

export interface AppOptions {
  knownKeys: boolean;
  maxBodyBytes: number;
}

export function createApp(signer: Signer, opts: AppOptions): Hono {
  const app = new Hono();
  app.route('/keys', keysRoutes(signer, opts.maxBodyBytes));
  app.route('/authorized_keys', authorizedKeysRoute());
  if (opts.knownKeys) app.route('/known_keys', knownKeysRoute(signer));
  app.notFound((c) => c.json(errorBody(`no such route: ${c.req.method} ${c.req.path}`), 404));
  app.onError(onError);
  return app;
}
