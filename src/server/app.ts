// The octez remote-signer HTTP API as a Hono app (docs/protocol.md, "HTTP API"); one router per resource.

import { Hono } from 'hono';
import { API_TOKEN_HEADER, type ApiToken } from '../auth/api-token.js';
import type { RequestAuthenticator } from '../auth/request-authenticator.js';
import type { Signer } from '../signer/signer.js';
import { authorizedKeysRoute } from './authorized-keys-route.js';
import { blsPopRoute } from './bls-pop-route.js';
import { errorBody, httpError, onError } from './errors.js';
import { keysRoutes } from './keys-routes.js';
import { knownKeysRoute } from './known-keys-route.js';
import { requireAuthentication } from './request-auth.js';
import type { SignObserver } from './sign-observer.js';

export interface AppOptions {
  knownKeys: boolean;
  maxBodyBytes: number;
  /** octez request authentication (`authorized_keys`): which client keys may ask for signatures. */
  authenticator?: RequestAuthenticator;
  /** Shared token a reverse proxy adds to every request, for deployments where only it may reach us. */
  apiToken?: ApiToken | null;
  observer?: SignObserver;
  /** tz4 keys allowed to answer GET /bls_prove_possession/<pkh> (opt-in: the proof is key material). */
  proofOfPossession?: (pkh: string) => boolean;
}

export function createApp(signer: Signer, opts: AppOptions): Hono {
  const app = new Hono();
  const token = opts.apiToken;
  if (token) {
    app.use('*', async (c, next) => {
      const presented = c.req.header(API_TOKEN_HEADER);
      if (presented === undefined) throw httpError(401, `missing ${API_TOKEN_HEADER} header`);
      if (!token.matches(presented)) throw httpError(403, `wrong ${API_TOKEN_HEADER} header`);
      await next();
    });
  }
  const auth = opts.authenticator;
  app.route(
    '/keys',
    keysRoutes(signer, opts.maxBodyBytes, {
      ...(auth ? { authenticate: requireAuthentication(auth) } : {}),
      ...(opts.observer ? { observer: opts.observer } : {}),
    }),
  );
  app.route('/authorized_keys', authorizedKeysRoute(auth?.advertised() ?? null));
  if (opts.knownKeys) app.route('/known_keys', knownKeysRoute(signer));
  app.route('/bls_prove_possession', blsPopRoute(signer, opts.proofOfPossession ?? (() => false)));
  app.notFound((c) => c.json(errorBody(`no such route: ${c.req.method} ${c.req.path}`), 404));
  app.onError(onError);
  return app;
}
