// Maps every error to the octez error trace `[{"kind":"temporary","id":"failure","msg":…}]` and one HTTP
// status (docs/protocol.md, "Errors"): 400 malformed, 403 policy, 404 unknown key, 409 watermark, 413 too
// large, 503 HSM or store unavailable (Retry-After; without it for a key whose mechanism the token lacks),
// 500 only for bugs; 499 (audit only) a client that left.

import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AuthenticationError } from '../auth/errors.js';
import { BlsThreadError } from '../bls/sign-thread.js';
import { ChainHeadError } from '../chain/errors.js';
import { Pkcs11Error } from '../hsm/errors.js';
import { logUnexpected } from '../log/error-line.js';
import { PolicyError } from '../policy/errors.js';
import {
  HsmFaultError,
  MechanismMissingError,
  UnknownKeyError,
  WatermarkRefusedError,
} from '../signer/errors.js';
import { DecodeError } from '../tezos/decode-error.js';
import { StoreUnavailableError } from '../watermark/errors.js';

const UNAVAILABLE_CODES = new Set(['ERR_HSM_UNAVAILABLE', 'ERR_HSM_CLOSED']);

export function errorBody(msg: string): [{ kind: 'temporary'; id: 'failure'; msg: string }] {
  return [{ kind: 'temporary', id: 'failure', msg }];
}

/** A client error raised by the HTTP layer itself (bad body, bad path). */
export function httpError(status: ContentfulStatusCode, msg: string): HTTPException {
  return new HTTPException(status, { message: msg });
}

/**
 * The client closed its connection before its request body was complete (a baker timing out, a reset):
 * nothing can be answered. Audited with nginx's 499 ("client closed request"), never sent.
 */
export class ClientAbortError extends Error {
  override readonly name = 'ClientAbortError';
}

export interface Mapped {
  status: ContentfulStatusCode;
  msg: string;
  retryAfter?: number;
  /** Not a known refusal: reported on stderr (src/log/error-line.ts). */
  unexpected?: true;
}

/** The status and message an error is answered with (also used for metrics and audit lines). */
export function classify(err: unknown): Mapped {
  if (err instanceof ClientAbortError) return { status: 499 as ContentfulStatusCode, msg: err.message };
  if (err instanceof HTTPException) return { status: err.status as ContentfulStatusCode, msg: err.message };
  if (err instanceof AuthenticationError) {
    return { status: err.verdict === 'missing' ? 401 : 403, msg: err.message };
  }
  if (err instanceof ChainHeadError) {
    return err.refusal === 'head-unknown'
      ? { status: 503, msg: err.message, retryAfter: 1 }
      : { status: 403, msg: err.message };
  }
  if (err instanceof DecodeError) return { status: 400, msg: `malformed request: ${err.message}` };
  if (err instanceof PolicyError) return { status: 403, msg: err.message };
  if (err instanceof UnknownKeyError) return { status: 404, msg: err.message };
  if (err instanceof WatermarkRefusedError) return { status: 409, msg: err.message };
  if (err instanceof StoreUnavailableError) {
    return { status: 503, msg: `watermark store unavailable: ${err.message}`, retryAfter: err.retryAfter };
  }
  if (err instanceof HsmFaultError) return { status: 503, msg: err.message, retryAfter: 1 };
  // Not a passing state: no Retry-After, the HSM setup has to change first.
  if (err instanceof MechanismMissingError) return { status: 503, msg: err.message };
  if (err instanceof BlsThreadError) return { status: 503, msg: err.message, retryAfter: 1 };
  // Any PKCS#11 failure other than a plain programming error ('none') means the HSM is unavailable now;
  // so does an outage (the pool refuses until the token is back) and a pool already closed (shutting down).
  if (err instanceof Pkcs11Error && (err.recovery !== 'none' || UNAVAILABLE_CODES.has(err.code))) {
    return { status: 503, msg: `HSM unavailable: ${err.message}`, retryAfter: 1 };
  }
  // The token refused this request and would refuse it again (a mechanism or key it will not use, an
  // ambiguous key): the operator must act, so no Retry-After, but never "internal error".
  if (err instanceof Pkcs11Error)
    return { status: 503, msg: `HSM refused: ${err.message}`, unexpected: true };
  return { status: 500, msg: 'internal error', unexpected: true };
}

/** Hono onError handler. Unexpected errors are reported once on stderr as a JSON line (no request payloads). */
export function onError(err: Error, c: Context): Response {
  const m = classify(err);
  if (m.unexpected) logUnexpected(m.msg, err);
  if (m.retryAfter !== undefined) c.header('Retry-After', String(m.retryAfter));
  return c.json(errorBody(m.msg), m.status);
}
