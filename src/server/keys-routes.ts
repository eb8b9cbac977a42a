// /keys/<pkh>: GET the public key, POST bytes to sign (DESIGN.md §2).

import { Hono } from 'hono';
import type { SignNote, Signer } from '../signer/signer.js';
import { incomingOf, readHexBody } from './body.js';
import { httpError } from './errors.js';
import type { SignObserver } from './sign-observer.js';
import { logUnexpected } from '../log/error-line.js';

/** Issue #5 hooks on POST: request authentication, then one audit line and metrics per request. */
export interface SignHooks {
  /** Throws AuthenticationError (401/403) unless `authentication` is valid for (pkh, msg). */
  authenticate?(pkh: string, msg: Uint8Array, authentication: string | undefined): void;
  observer?: SignObserver;
}

export function keysRoutes(signer: Signer, maxBodyBytes: number, hooks: SignHooks = {}): Hono {
  const app = new Hono();
  app.get('/:pkh', (c) => c.json({ public_key: signer.key(c.req.param('pkh')).publicKey }));
  app.post('/:pkh', async (c) => {
    const started = performance.now();
    const pkh = c.req.param('pkh');
    const note: SignNote = {};
    let msg: Uint8Array | null = null;
    let error: unknown = null;
    try {
      const key = signer.key(pkh); // 404 before reading the body
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
      msg = await readHexBody(c, maxBodyBytes);
      hooks.authenticate?.(pkh, msg, c.req.query('authentication'));
      return c.json({ signature: await signer.sign(pkh, msg, note) });
    } catch (err) {
      error = err;
      throw err;
    } finally {
      const observer = hooks.observer;
      if (observer) {
        const seconds = (performance.now() - started) / 1000;
        // null when not served by @hono/node-server (app.request in tests).
        const client = incomingOf(c)?.socket.remoteAddress ?? null;
        // The audit line and metrics (6–20 µs) are written once the answer is: it leaves in this turn's
        // microtasks, immediates run after them and before the next request is read.
        setImmediate(() => {
          try {
            observer.record({ pkh, msg, note, error, seconds, client });
          } catch (err) {
            logUnexpected('audit/metrics failed', err); // never take the process down from here
          }
        });
      }
    }
  });
  return app;
}
