// The context variables of POST /keys/<pkh>, set by its middleware (keys-routes.ts, sign-observer.ts).

import type { SignNote } from '../signer/signer.js';

/** What the POST middleware hands on: the request bytes once read, the signer's note on what it did. */
export type SignEnv = { Variables: { msg: Uint8Array; note: SignNote } };
