// One signed-block audit entry with every field set, for the audit-line tests and bench/ops-overhead.ts.
import type { AuditEntry } from '../../src/log/audit.js';

export function sampleAuditEntry(pkh: string, payload: Uint8Array): AuditEntry {
  return {
    pkh,
    chain: 'NetXdQprcVkpaWU',
    kind: 'block',
    level: 12,
    round: 0,
    requestHash: 'ab'.repeat(32),
    payloadHash: 'vh2UJ9qvkLHcFbiotR462Ni84QU7xBET7ziuBs7r3xm2Xvzbs1ve',
    decision: 'signed',
    status: 200,
    reason: null,
    latencyUs: 180,
    client: '127.0.0.1',
    payload,
  };
}
