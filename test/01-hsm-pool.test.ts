// The session pool under load: N-way concurrency, a responsive event loop, drain on close, shared module.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hsm, type HsmKey } from '../src/hsm/index.js';
import { addon } from '../src/hsm/native.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { verifySignature } from './helpers/verify.js';

let token: TestToken;

beforeAll(async () => {
  token = await createToken({ label: 'pool-test' });
  process.env.SOFTHSM2_CONF = token.conf;
});

afterAll(async () => {
  await token?.cleanup();
});

// These tests queue hundreds of signs at once: a queue bound and a deadline above what that takes (the
// defaults would refuse or time out some of them on a busy machine).
const open = (sessions: number) =>
  Hsm.open({
    library: token.library,
    tokenLabel: token.tokenLabel,
    pin: token.pin,
    sessions,
    maxQueue: 1000,
    timeoutMs: 120_000,
  });

async function signMany(hsm: Hsm, key: HsmKey, n: number) {
  const digests = Array.from({ length: n }, () => randomBytes(32));
  const sigs = await Promise.all(digests.map((d) => hsm.sign(key, d)));
  return digests.map((d, i) => verifySignature(key, d, sigs[i]!));
}

describe('session pool', () => {
  it('signs hundreds of requests in parallel over N sessions, all valid', async () => {
    const hsm = await open(3);
    try {
      for (const key of await hsm.keys()) {
        const ok = await signMany(hsm, key, 300);
        expect(ok.every(Boolean)).toBe(true);
      }
      const s = hsm.stats();
      expect(s).toMatchObject({ sessions: 3, busy: 0, idle: 3, queued: 0, errors: 0 });
      expect(s.signs).toBe(900);
    } finally {
      await hsm.close();
    }
  });

  it('keeps the event loop responsive while the pool is saturated', async () => {
    const hsm = await open(2);
    try {
      const key = (await hsm.keys()).find((k) => k.curve === 'secp256k1')!;
      // One sign's latency, measured alone.
      const t0 = performance.now();
      for (let i = 0; i < 20; i++) await hsm.sign(key, randomBytes(32));
      const oneSign = (performance.now() - t0) / 20;

      // Saturate: many more requests in flight than sessions, and watch timer lag meanwhile.
      const lags: number[] = [];
      let running = true;
      const tick = () => {
        const at = performance.now();
        setImmediate(() => {
          lags.push(performance.now() - at);
          if (running) tick();
        });
      };
      tick();
      const start = performance.now();
      const pending = Array.from({ length: 600 }, () => hsm.sign(key, randomBytes(32)));
      const queuedAtStart = hsm.stats().queued;
      await Promise.all(pending);
      const saturated = performance.now() - start;
      running = false;

      lags.sort((a, b) => a - b);
      const p99 = lags[Math.floor(lags.length * 0.99)]!;
      expect(queuedAtStart).toBeGreaterThan(100); // really saturated
      expect(lags.length).toBeGreaterThan(50); // the loop kept turning during the whole run
      // If signing ran on the JS thread, the loop would stall for whole signs (or the whole run).
      // Bounds leave room for CPU contention from parallel test files; a blocked loop exceeds both by far.
      expect(p99).toBeLessThan(Math.max(oneSign * 4, saturated / 10));
    } finally {
      await hsm.close();
    }
  });

  it('close() drains in-flight signs, then refuses new work', async () => {
    const hsm = await open(2);
    const key = (await hsm.keys()).find((k) => k.curve === 'ed25519')!;
    const digests = Array.from({ length: 200 }, () => randomBytes(32));
    const inflight = digests.map((d) => hsm.sign(key, d));
    const closing = hsm.close();
    const sigs = await Promise.all(inflight);
    await closing;
    expect(sigs.every((s, i) => verifySignature(key, digests[i]!, s))).toBe(true);
    await expect(hsm.sign(key, randomBytes(32))).rejects.toMatchObject({ code: 'ERR_HSM_CLOSED' });
    await expect(hsm.ping()).rejects.toMatchObject({ code: 'ERR_HSM_CLOSED' });
  });

  it('shares one module between instances on the same library and finalizes after the last', async () => {
    expect(addon.moduleUseCount(token.library)).toBe(0);
    const a = await open(1);
    const b = await open(1);
    expect(addon.moduleUseCount(token.library)).toBe(2);
    await a.close();
    expect(addon.moduleUseCount(token.library)).toBe(1);
    const key = (await b.keys())[0]!;
    expect((await signMany(b, key, 5)).every(Boolean)).toBe(true);
    await b.close();
    expect(addon.moduleUseCount(token.library)).toBe(0);
    // Initialises again from scratch after the finalize.
    const c = await open(1);
    await c.ping();
    await c.close();
  });

  it.each(['exit', 'natural'])(
    'shuts down cleanly when the process ends (%s) with signs in flight',
    async (mode) => {
      // process.exit() skips Node's environment cleanup: the addon's atexit hook must stop the workers
      // before the vendor library and OpenSSL tear themselves down, or the process dies of SIGSEGV.
      const script = fileURLToPath(new URL('./fixtures/hsm-exit-inflight.ts', import.meta.url));
      const run = promisify(execFile);
      const child = await run(
        process.execPath,
        ['--import', 'tsx', script, token.library, token.tokenLabel, token.pin, mode],
        { env: { ...process.env, ...token.env } },
      ).catch((e: { code?: number; signal?: string; stderr?: string }) => e);
      expect(child).not.toHaveProperty('signal', 'SIGSEGV');
      expect((child as { code?: number }).code ?? 0).toBe(0);
    },
  );
});
