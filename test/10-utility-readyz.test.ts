// /readyz in process over a real SoftHSM2 token and a real file watermark store: ready while both
// answer, 503 naming the HSM once its pool is closed and the store once it is closed; a check that
// never answers is reported after its time limit instead of hanging the probe.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hsm } from '../src/hsm/hsm.js';
import { SignerMetrics } from '../src/metrics/signer-metrics.js';
import { checkReadiness, standardChecks } from '../src/server/readiness.js';
import { createUtilityApp } from '../src/server/utility-app.js';
import { FileStore } from '../src/watermark/file-store.js';
import { createToken, type TestToken } from './helpers/softhsm.js';

let token: TestToken;
let hsm: Hsm;
let store: FileStore;

beforeAll(async () => {
  token = await createToken({ label: 'readyz' });
  process.env.SOFTHSM2_CONF = token.conf;
  hsm = await Hsm.open({ library: token.library, tokenLabel: token.tokenLabel, pin: token.pin, sessions: 1 });
  store = await FileStore.open(await mkdtemp(join(tmpdir(), 'readyz-wm-')));
});

afterAll(async () => {
  await hsm?.close();
  await store?.close();
  await token?.cleanup();
});

describe('/readyz', () => {
  it('is ready while the HSM and the store answer, and names each failed dependency', async () => {
    const app = createUtilityApp({
      metrics: new SignerMetrics({ poolStats: () => hsm.stats() }, { defaultMetrics: false }),
      checks: standardChecks({ hsm, store }),
    });
    const ok = await app.request('/readyz');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ready', checks: { hsm: 'ok', watermark: 'ok' } });
    expect(await (await app.request('/metrics')).text()).toContain(
      'tezos_signer_hsm_sessions{state="total"} 1',
    );

    await store.close();
    const noStore = await app.request('/readyz');
    expect(noStore.status).toBe(503);
    const a = (await noStore.json()) as { status: string; checks: Record<string, string> };
    expect(a.status).toBe('not ready');
    expect(a.checks.hsm).toBe('ok');
    expect(a.checks.watermark).not.toBe('ok');

    await hsm.close();
    const b = (await (await app.request('/readyz')).json()) as { checks: Record<string, string> };
    expect(b.checks.hsm).toMatch(/closed/);
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('reports a dependency that does not answer in time instead of hanging', async () => {
    const report = await checkReadiness([{ name: 'stuck', run: () => new Promise<void>(() => {}) }], 200);
    expect(report).toEqual({ ready: false, checks: { stuck: 'no answer within 200 ms' } });
  });
});
