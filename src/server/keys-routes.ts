// /keys/<pkh>: GET the public key, POST bytes to sign (docs/protocol.md, "HTTP API"). POST: the observe
// middleware (audit line, metrics) around one handler: the key and its version, the body,
// authentication, then sign.

import { type Context, Hono } from 'hono';
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
function checkServedKey(signer: Signer, c: Context<SignEnv>, pkh: string): void {
  const key = signer.key(pkh);
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
}

/**
 * POST's steps in order: the key, the body, authentication, the signature. One handler rather than a
 * middleware each: every middleware is one more async frame and promise on the way in and out.
 */
function signHandler(signer: Signer, maxBodyBytes: number, authenticate: SignHooks['authenticate']) {
  return async (c: Context<SignEnv>) => {
    const pkh = c.req.param('pkh') ?? '';
    checkServedKey(signer, c, pkh);
    const msg = await readHexBody(c, maxBodyBytes);
    c.set('msg', msg);
    authenticate?.(pkh, msg, c.req.query('authentication'));
    const note = c.get('note') ?? {};
    return c.json({ signature: await signer.sign(pkh, msg, note) });
  };
}

export function keysRoutes(signer: Signer, maxBodyBytes: number, hooks: SignHooks = {}): Hono<SignEnv> {
  const app = new Hono<SignEnv>();
  app.get('/:pkh', (c) => c.json({ public_key: signer.key(c.req.param('pkh')).publicKey }));
  if (hooks.observer) app.post('/:pkh', observe(hooks.observer));
  app.post('/:pkh', signHandler(signer, maxBodyBytes, hooks.authenticate));
  return app;
}
