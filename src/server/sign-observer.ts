// One place that turns a finished POST /keys/<pkh> into its audit line and its metrics (the `observe`
// middleware around the route):
// the outcome comes from the signer's note on success, from the error's class and status otherwise.

import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';
import { AuthenticationError } from '../auth/errors.js';
import { ChainHeadError } from '../chain/errors.js';
import { blake2b256 } from '../crypto/blake2b256.js';
import { type AuditDecision, audit } from '../log/audit.js';
import { logUnexpected } from '../log/error-line.js';
import type { Outcome, SignerMetrics } from '../metrics/signer-metrics.js';
import { PolicyError } from '../policy/errors.js';
import { WatermarkRefusedError } from '../signer/errors.js';
import type { SignNote } from '../signer/signer.js';
import { incomingOf } from './body.js';
import { ClientAbortError, classify } from './errors.js';
import type { SignEnv } from './sign-env.js';

export interface SignRecord {
  pkh: string;
  msg: Uint8Array | null;
  note: SignNote;
  error: unknown;
  /** Seconds from request received to answer ready. */
  seconds: number;
  client: string | null;
}

export interface ObserverDeps {
  logger: Logger | null;
  metrics: SignerMetrics | null;
  /** tezos.<pkh>.log_payloads */
  logPayloads(pkh: string): boolean;
}

function outcomeOf(error: unknown, status: number, note: SignNote): Outcome {
  if (error === null) return note.outcome ?? 'signed';
  if (error instanceof ClientAbortError) return 'aborted';
  if (error instanceof WatermarkRefusedError) return 'watermark_refused';
  if (error instanceof PolicyError) return 'policy_refused';
  if (error instanceof AuthenticationError)
    return error.verdict === 'missing' ? 'auth_missing' : 'auth_invalid';
  if (error instanceof ChainHeadError)
    return error.refusal === 'out-of-range' ? 'head_refused' : 'unavailable';
  if (status === 404) return 'unknown_key';
  if (status === 503) return 'unavailable';
  if (status >= 400 && status < 500) return 'bad_request';
  return 'error';
}

function decisionOf(outcome: Outcome): AuditDecision {
  if (outcome === 'signed' || outcome === 'repeat' || outcome === 'aborted') return outcome;
  return outcome === 'error' || outcome === 'unavailable' ? 'error' : 'refused';
}

export class SignObserver {
  constructor(private readonly deps: ObserverDeps) {}

  record(r: SignRecord): void {
    const { logger, metrics } = this.deps;
    const status = r.error === null ? 200 : classify(r.error).status;
    const outcome = outcomeOf(r.error, status, r.note);
    const req = r.note.req;
    const kind = req?.kind ?? 'unknown';
    // The path is the client's: one label value per key on the token, never one per made-up pkh.
    metrics?.request(outcome === 'unknown_key' ? 'unknown' : r.pkh, kind, outcome, r.seconds);
    if (!logger) return;
    const height = req && 'level' in req ? req : null;
    audit(
      logger,
      {
        pkh: r.pkh.length > 64 ? `${r.pkh.slice(0, 64)}…` : r.pkh,
        chain: req && 'chainId' in req ? req.chainId : null,
        kind,
        level: height?.level ?? null,
        round: height && 'round' in height ? height.round : null,
        requestHash: r.note.requestHash ?? (r.msg ? Buffer.from(blake2b256(r.msg)).toString('hex') : null),
        payloadHash:
          req?.kind === 'block'
            ? req.payloadHash
            : req && 'blockPayloadHash' in req
              ? req.blockPayloadHash
              : null,
        decision: decisionOf(outcome),
        status,
        reason: r.error === null ? null : classify(r.error).msg,
        latencyUs: Math.round(r.seconds * 1e6),
        client: r.client,
        payload: r.msg ?? undefined,
      },
      this.deps.logPayloads(r.pkh),
    );
  }
}

/** Times the request and, once it is answered, records its audit line and metrics from `c.error`. */
export function observe(observer: SignObserver) {
  return createMiddleware<SignEnv>(async (c, next) => {
    const started = performance.now();
    c.set('note', {});
    await next();
    const seconds = (performance.now() - started) / 1000;
    const record = {
      pkh: c.req.param('pkh') ?? '',
      msg: c.get('msg') ?? null,
      note: c.get('note'),
      error: c.error ?? null,
      seconds,
      // null when not served by @hono/node-server (app.request in tests).
      client: incomingOf(c)?.socket.remoteAddress ?? null,
    };
    // The audit line and metrics are written once the answer is (their cost: docs/performance.md): it
    // leaves in this turn's microtasks, immediates run after them and before the next request is read.
    setImmediate(() => {
      try {
        observer.record(record);
      } catch (err) {
        logUnexpected('audit/metrics failed', err); // never take the process down from here
      }
    });
  });
}
