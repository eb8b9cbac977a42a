// One audit line per signing decision (issue #5). Fields are fixed so operators can grep and alert on
// them; the request bytes appear only when the key's config says log_payloads: true.

import type { Logger } from 'pino';

export type AuditDecision = 'signed' | 'repeat' | 'refused' | 'error';

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

export function audit(logger: Logger, entry: AuditEntry, logPayload = false): void {
  const { payload, ...fields } = entry;
  const line: Record<string, unknown> = { audit: true, ...fields };
  if (logPayload && payload) line.payload = Buffer.from(payload).toString('hex');
  const level = entry.decision === 'error' ? 'error' : entry.decision === 'refused' ? 'warn' : 'info';
  logger[level](line, `${entry.decision} ${entry.kind} for ${entry.pkh}`);
}
