// Metrics registry and audit logging: what /metrics exposes and what an audit line holds.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HeadState } from '../src/chain/head-monitor.js';
import type { PoolStats } from '../src/hsm/types.js';
import { audit } from '../src/log/audit.js';
import { closeLogger, createLogger } from '../src/log/logger.js';
import { LATENCY_BUCKETS, SignerMetrics } from '../src/metrics/signer-metrics.js';
import { sampleAuditEntry } from './helpers/audit-entry.js';

const PKH = 'tz3Tq3Me8C4uvnx5PpVuMuvEuGUwbfTsnxQD';

describe('SignerMetrics', () => {
  it('counts requests by pkh, kind and outcome, with latency buckets from 50 µs to 1 s', async () => {
    const m = new SignerMetrics({}, { defaultMetrics: false });
    m.request(PKH, 'block', 'signed', 0.00012);
    m.request(PKH, 'block', 'signed', 0.0002);
    m.request(PKH, 'attestation', 'watermark_refused', 0.00003);
    m.hsmSign('p256', 0.00008);
    m.hsmError('CKR_DEVICE_ERROR');
    m.storeSyncLatency('file', 0.002);
    const text = await m.text();
    expect(LATENCY_BUCKETS[0]).toBe(0.00005);
    expect(LATENCY_BUCKETS.at(-1)).toBe(1);
    expect(text).toContain(`tezos_signer_requests_total{pkh="${PKH}",kind="block",outcome="signed"} 2`);
    expect(text).toContain(
      `tezos_signer_requests_total{pkh="${PKH}",kind="attestation",outcome="watermark_refused"} 1`,
    );
    expect(text).toContain(`tezos_signer_watermark_refusals_total{pkh="${PKH}",kind="attestation"} 1`);
    expect(text).toContain('tezos_signer_hsm_errors_total{code="CKR_DEVICE_ERROR"} 1');
    // 0.00003 s falls in the first bucket, 0.00012 and 0.0002 in le=0.00025.
    expect(text).toContain('tezos_signer_request_duration_seconds_bucket{le="0.00005",kind="attestation"');
    expect(text).toMatch(/request_duration_seconds_bucket\{le="0.0001",kind="block",outcome="signed"\} 0/);
    expect(text).toMatch(/request_duration_seconds_bucket\{le="0.00025",kind="block",outcome="signed"\} 2/);
    expect(text).toMatch(/hsm_sign_duration_seconds_bucket\{le="0.0001",curve="p256"\} 1/);
    expect(text).toMatch(/watermark_sync_duration_seconds_bucket\{le="0.0025",backend="file"\} 1/);
    expect(text).not.toContain('process_cpu'); // default metrics off here
  });

  it('samples the session pool and the chain head at scrape time', async () => {
    let stats: PoolStats = {
      sessions: 4,
      busy: 1,
      idle: 3,
      queued: 0,
      recycled: 2,
      signs: 10,
      signsAhead: 6,
      verifyTables: 1,
      verifyTableChecks: 4,
      errors: 0,
      unavailable: false,
      outages: 0,
      timeouts: 3,
      queueFull: 1,
      replaced: 2,
      setAside: 1,
      maxQueue: 64,
    };
    let head: HeadState = {
      level: 123,
      chainId: 'NetXdQprcVkpaWU',
      reachable: true,
      source: 'stream',
      lastContact: Date.now(),
      lastError: null,
    };
    const m = new SignerMetrics({ poolStats: () => stats, head: () => head });
    let text = await m.text();
    expect(text).toContain('tezos_signer_hsm_sessions{state="busy"} 1');
    expect(text).toContain('tezos_signer_hsm_sessions{state="idle"} 3');
    expect(text).toContain('tezos_signer_hsm_sessions_recycled_total 2');
    expect(text).toContain('tezos_signer_hsm_timeouts_total 3');
    expect(text).toContain('tezos_signer_hsm_queue_full_total 1');
    expect(text).toContain('tezos_signer_hsm_sessions_replaced_total 2');
    expect(text).toContain('tezos_signer_hsm_sessions_set_aside 1');
    expect(text).toContain('tezos_signer_hsm_signs_ahead_total 6');
    expect(text).toContain('tezos_signer_hsm_verify_table_checks_total 4');
    expect(text).toContain('tezos_signer_chain_head_level 123');
    expect(text).toContain('tezos_signer_node_reachable 1');
    expect(text).toContain('tezos_signer_hsm_unavailable 0');
    expect(text).toContain('process_cpu_user_seconds_total');
    stats = {
      ...stats,
      busy: 4,
      idle: 0,
      queued: 7,
      recycled: 5,
      unavailable: true,
      outages: 1,
      timeouts: 9,
    };
    head = { ...head, reachable: false, level: null };
    text = await m.text();
    expect(text).toContain('tezos_signer_hsm_sessions{state="busy"} 4');
    expect(text).toContain('tezos_signer_hsm_queue_length 7');
    expect(text).toContain('tezos_signer_hsm_sessions_recycled_total 5');
    expect(text).toContain('tezos_signer_hsm_timeouts_total 9');
    expect(text).toContain('tezos_signer_hsm_unavailable 1');
    expect(text).toContain('tezos_signer_hsm_outages_total 1');
    expect(text).toContain('tezos_signer_chain_head_level -1');
    expect(text).toContain('tezos_signer_node_reachable 0');
  });

  it('keeps registries apart', async () => {
    const a = new SignerMetrics({}, { defaultMetrics: false });
    const b = new SignerMetrics({}, { defaultMetrics: false });
    a.hsmError('CKR_PIN_INCORRECT');
    expect(await a.text()).toContain('CKR_PIN_INCORRECT');
    expect(await b.text()).not.toContain('CKR_PIN_INCORRECT');
  });
});

describe('audit log', () => {
  const lines = (file: string) =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  const entry = sampleAuditEntry(PKH, Uint8Array.from([0x11, 0x7a, 0x06]));

  it('writes one JSON line per decision through the asynchronous destination', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'audit-')), 'signer.log');
    const log = createLogger({ dest: file });
    audit(log, entry);
    audit(log, { ...entry, decision: 'refused', status: 409, reason: 'level 12 round 0 already signed' });
    await closeLogger(log);
    const [a, b] = lines(file);
    expect(a).toMatchObject({
      audit: true,
      severity: 'info',
      pkh: PKH,
      chain: 'NetXdQprcVkpaWU',
      kind: 'block',
      level: 12,
      round: 0,
      requestHash: entry.requestHash,
      payloadHash: entry.payloadHash,
      decision: 'signed',
      status: 200,
      latencyUs: 180,
      client: '127.0.0.1',
    });
    expect(a).not.toHaveProperty('payload');
    expect(b).toMatchObject({
      severity: 'warn',
      decision: 'refused',
      status: 409,
      reason: expect.stringContaining('already'),
    });
  });

  it('logs payload bytes only when the key asks for it, and never a PIN', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'audit-')), 'signer.log');
    const log = createLogger({ dest: file, sync: true });
    audit(log, entry, true);
    log.info({ hsm: { pin: '1234', library: '/x.so' }, pin: '1234' }, 'config loaded');
    await closeLogger(log);
    const [a, b] = lines(file);
    expect(a!.payload).toBe('117a06');
    expect(JSON.stringify(b)).not.toContain('1234');
    expect(b).toMatchObject({ pin: '[redacted]', hsm: { pin: '[redacted]', library: '/x.so' } });
  });
});
