// /keys/<pkh>: GET the public key, POST bytes to sign (docs/protocol.md, "HTTP API"). POST runs as Hono
// middleware: observe (audit line, metrics), the key and its version, the body, authentication, then sign.

import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Signer } from '../signer/signer.js';
import { readHexBody } from './body.js';
import { httpError } from './errors.js';
import type { SignEnv } from './sign-env.js';
import { observe, type SignObserver } from './sign-observer.js';

/** Hooks on POST, both optional: request authentication, then one audit line and metrics per request. */
export interface SignHooks {
  /** Throws AuthenticationError unless `authentication` is valid for (pkh, msg). */
  authenticate?(pkh: string, msg: Uint8Array, authentication: string | undefined): void;
  observer?: SignObserver;
}

/** 404 for a key the signer does not serve, before the body is read; tz4 keys refuse versions 0 and 1. */
function servedKey(signer: Signer) {
  return createMiddleware<SignEnv>(async (c, next) => {
    const key = signer.key(c.req.param('pkh') ?? '');
    // `version` is tolerated (octez >= 18 sends it). For tz4, versions 0/1 mean octez's older
    // signature modules (no BLS / the AUG scheme): we sign only the POP scheme of version 2+.
    if (key.curve === 'bls12-381') {
      const version = c.req.query('version');
      if (version === '0' || version === '1') {
        throw httpError(
          400,
          `version=${version} is not supported for tz4 keys: use version 2 or later (BLS POP scheme)`,
        );
      }
    }
    await next();
  });
}

function hexBody(maxBodyBytes: number) {
  return createMiddleware<SignEnv>(async (c, next) => {
    c.set('msg', await readHexBody(c, maxBodyBytes));
    await next();
  });
}

function authenticated(authenticate: NonNullable<SignHooks['authenticate']>) {
  return createMiddleware<SignEnv>(async (c, next) => {
    authenticate(c.req.param('pkh') ?? '', c.get('msg'), c.req.query('authentication'));
    await next();
  });
}

export function keysRoutes(signer: Signer, maxBodyBytes: number, hooks: SignHooks = {}): Hono<SignEnv> {
  const app = new Hono<SignEnv>();
  app.get('/:pkh', (c) => c.json({ public_key: signer.key(c.req.param('pkh')).publicKey }));
  if (hooks.observer) app.post('/:pkh', observe(hooks.observer));
  app.post('/:pkh', servedKey(signer), hexBody(maxBodyBytes));
  if (hooks.authenticate) app.post('/:pkh', authenticated(hooks.authenticate));
  app.post('/:pkh', async (c) => {
    const note = c.get('note') ?? {};
    return c.json({ signature: await signer.sign(c.req.param('pkh'), c.get('msg'), note) });
  });
  return app;
}
