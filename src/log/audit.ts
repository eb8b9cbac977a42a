// One audit line per signing decision (issue #5). Fields are fixed so operators can grep and alert on
// them; the request bytes appear only when the key's config says log_payloads: true.
//
// Cost (issue #7): lines go through a child logger made once per process logger, with `audit: true`
// pre-serialised in its bindings and redaction of top-level names only. The fields are flat strings and
// numbers, so the process logger's nested paths ('*.pin') cannot match and would only make pino run the
// wildcard redactor on every field (≈ 10 → 6 µs per line, bench/ops-overhead.ts).

import type { Logger } from 'pino';
import { REDACT_CENSOR, REDACT_PATHS } from './logger.js';

export type AuditDecision = 'signed' | 'repeat' | 'refused' | 'aborted' | 'error';

export interface AuditEntry {
  pkh: string;
  /** Net… chain id, null for requests without one (generic operations, Michelson data). */
  chain: string | null;
  kind: string;
  level: number | null;
  round: number | null;
  /** hex BLAKE2b-256 of the whole request (the watermark's hash). */
  requestHash: string | null;
  /** Block payload hash (vh…) for blocks and consensus operations. */
  payloadHash: string | null;
  decision: AuditDecision;
  /** HTTP status answered. */
  status: number;
  reason: string | null;
  latencyUs: number;
  client: string | null;
  /** Request bytes (hex); logged only when the key asks for it. */
  payload?: Uint8Array;
}

const TOP_LEVEL_REDACT = REDACT_PATHS.filter((p) => !p.includes('.'));
const auditLoggers = new WeakMap<Logger, Logger>();

function auditLogger(logger: Logger): Logger {
  let child = auditLoggers.get(logger);
  if (child === undefined) {
    child = logger.child({ audit: true }, { redact: { paths: TOP_LEVEL_REDACT, censor: REDACT_CENSOR } });
    auditLoggers.set(logger, child);
  }
  return child;
}

export function audit(logger: Logger, entry: AuditEntry, logPayload = false): void {
  // A fresh literal of fixed shape (no spread, no delete): pino skips the undefined payload.
  const line = {
    pkh: entry.pkh,
    chain: entry.chain,
    kind: entry.kind,
    level: entry.level,
    round: entry.round,
    requestHash: entry.requestHash,
    payloadHash: entry.payloadHash,
    decision: entry.decision,
    status: entry.status,
    reason: entry.reason,
    latencyUs: entry.latencyUs,
    client: entry.client,
    payload: logPayload && entry.payload ? Buffer.from(entry.payload).toString('hex') : undefined,
  };
  const log = auditLogger(logger);
  const msg = `${entry.decision} ${entry.kind} for ${entry.pkh}`;
  if (entry.decision === 'error') log.error(line, msg);
  else if (entry.decision === 'refused') log.warn(line, msg);
  else log.info(line, msg);
}
