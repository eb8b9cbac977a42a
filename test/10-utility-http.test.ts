// The utility listener through the real server process: /healthz, /readyz (HSM round trip,
// watermark store, 503 with reasons) and /metrics (requests by outcome, latency histograms, HSM errors
// by CKR code from a fault-injecting PKCS#11 wrapper over SoftHSM2, pool gauges, store sync latency),
// and readiness following a real PostgreSQL watermark store going down and up.

import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFaultLibrary, type FaultLibrary } from './helpers/fault-pkcs11.js';
import { postSign } from './helpers/http.js';
import { type OpsSigner, type OpsToken, opsConfig, opsToken, startOpsSigner } from './helpers/ops-signer.js';
import { type PgServer, startPostgres } from './helpers/postgres.js';
import { blockWith } from './helpers/tezos-vectors.js';

const CKR_DEVICE_ERROR = 0x30;
let t: OpsToken;
let fault: FaultLibrary;
let s: OpsSigner;
let pg: PgServer | null = null;
let pgSigner: OpsSigner | null = null;

beforeAll(async () => {
  t = await opsToken();
  fault = await buildFaultLibrary(await mkdtemp(join(tmpdir(), 'fault-')));
  const hsm = t.hsmYaml.replace(/ {2}vendor: softhsm2\n/, `  library: ${fault.library}\n`);
  const config = opsConfig({ ...t, hsmYaml: hsm }, 'utility.yaml', '  utility_address: 127.0.0.1:0\n');
  s = await startOpsSigner(config, fault.env);
});

afterAll(async () => {
  expect(await s?.stop()).toBe(0);
  expect(await pgSigner?.stop()).toBe(0);
  await pg?.dispose();
});

async function sign(url: string, pkh: string, hex: string) {
  return (await postSign(url, pkh, hex)).status;
}

const metric = (text: string, name: string, labels: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`) || l === `${name} ${labels}`);
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

describe('utility listener', () => {
  it('answers /healthz and /readyz', async () => {
    expect(s.utilityUrl).not.toBeNull();
    const health = await fetch(`${s.utilityUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'alive' });
    const ready = await fetch(`${s.utilityUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { hsm: 'ok', watermark: 'ok', keys: 'ok' },
    });
    // Not exposed on the signing port, and the signing API is not on the utility port.
    expect((await fetch(`${s.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${s.utilityUrl}/authorized_keys`)).status).toBe(404);
  });

  it('counts requests by key, kind and outcome, with latency histograms', async () => {
    const pkh = t.pkhs.tz3;
    const block = blockWith({ level: 50, round: 0, payloadRound: 0 });
    expect(await sign(s.url, pkh, block)).toBe(200);
    expect(await sign(s.url, pkh, block)).toBe(200); // identical bytes: the stored signature
    expect(await sign(s.url, pkh, blockWith({ level: 49, round: 0, payloadRound: 0 }))).toBe(409);
    const text = await (await fetch(`${s.utilityUrl}/metrics`)).text();
    expect(metric(text, 'tezos_signer_requests_total', `pkh="${pkh}",kind="block",outcome="signed"`)).toBe(1);
    expect(metric(text, 'tezos_signer_requests_total', `pkh="${pkh}",kind="block",outcome="repeat"`)).toBe(1);
    expect(
      metric(text, 'tezos_signer_requests_total', `pkh="${pkh}",kind="block",outcome="watermark_refused"`),
    ).toBe(1);
    expect(metric(text, 'tezos_signer_watermark_refusals_total', `pkh="${pkh}",kind="block"`)).toBe(1);
    // One HSM signature (the repeat did not sign), one durable watermark write.
    expect(metric(text, 'tezos_signer_hsm_sign_duration_seconds_count', 'curve="p256"')).toBe(1);
    expect(metric(text, 'tezos_signer_hsm_sign_duration_seconds_bucket', 'le="1",curve="p256"')).toBe(1);
    expect(text).toContain('tezos_signer_hsm_sign_duration_seconds_bucket{le="0.00005",curve="p256"}');
    expect(metric(text, 'tezos_signer_watermark_sync_duration_seconds_count', 'backend="file"')).toBe(1);
    expect(metric(text, 'tezos_signer_request_duration_seconds_count', 'kind="block",outcome="signed"')).toBe(
      1,
    );
    expect(metric(text, 'tezos_signer_hsm_sessions', 'state="total"')).toBe(2);
    // Unknown keys share one label value: a client cannot grow the metrics with made-up pkhs.
    expect(await sign(s.url, 'tz1NotAKeyOnThisToken', block)).toBe(404);
    const after = await (await fetch(`${s.utilityUrl}/metrics`)).text();
    expect(
      metric(after, 'tezos_signer_requests_total', 'pkh="unknown",kind="unknown",outcome="unknown_key"'),
    ).toBe(1);
    expect(after).not.toContain('tz1NotAKeyOnThisToken');
    expect(metric(text, 'tezos_signer_hsm_sessions', 'state="busy"')).toBe(0);
    expect(text).toContain('tezos_signer_hsm_sessions_recycled_total');
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('counts HSM errors by CKR code', async () => {
    await fault.inject('C_Sign', CKR_DEVICE_ERROR, 1000);
    try {
      expect(await sign(s.url, t.pkhs.tz1, blockWith({ level: 60, round: 0, payloadRound: 0 }))).toBe(503);
    } finally {
      await fault.clear();
    }
    const text = await (await fetch(`${s.utilityUrl}/metrics`)).text();
    expect(metric(text, 'tezos_signer_hsm_errors_total', 'code="CKR_DEVICE_ERROR"')).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      metric(text, 'tezos_signer_requests_total', `pkh="${t.pkhs.tz1}",kind="block",outcome="unavailable"`),
    ).toBe(1);
    // The HSM recovers: the same height signs once the faults stop (503 until the pool's next probe).
    let status = 503;
    for (let i = 0; i < 100 && status === 503; i++) {
      status = await sign(s.url, t.pkhs.tz1, blockWith({ level: 60, round: 0, payloadRound: 0 }));
      if (status === 503) await sleep(50);
    }
    expect(status).toBe(200);
  });
});

describe('readiness with a PostgreSQL watermark store', () => {
  it('turns 503 with the store as reason while the database is down, and back', async () => {
    pg = await startPostgres();
    const url = await pg.createDatabase('ready');
    const file = opsConfig(t, 'utility-pg.yaml', '  utility_address: 127.0.0.1:0\n');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        /watermark:\n(?: {2}.*\n)+/,
        `watermark:\n  backend: postgres\n  url: ${url}\n`,
      ),
    );
    pgSigner = await startOpsSigner(file);
    const ready = () => fetch(`${pgSigner!.utilityUrl}/readyz`);
    expect((await ready()).status).toBe(200);
    await pg.stop();
    const down = await ready();
    expect(down.status).toBe(503);
    const body = (await down.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('not ready');
    expect(body.checks.hsm).toBe('ok');
    expect(body.checks.watermark).not.toBe('ok');
    await pg.start();
    const deadline = Date.now() + 15_000;
    let status = (await ready()).status;
    while (status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await ready()).status;
    }
    expect(status).toBe(200);
  });
});
