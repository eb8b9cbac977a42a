// Deadlines, the queue bound, stuck sessions and the hand-over of finished signatures, on a token whose
// C_Sign is held mid-call by the fault-injecting library (test/fixtures/fault-pkcs11.c) in front of SoftHSM2.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Hsm, HsmKey } from '../src/hsm/index.js';
import { type FaultDelay, type FaultLibrary, openThroughFault } from './helpers/fault-pkcs11.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { verifySignature } from './helpers/verify.js';

let token: TestToken;
const opened: Array<{ hsm: Hsm; fault: FaultLibrary }> = [];
let dirs = 0;

beforeAll(async () => {
  token = await createToken({ label: 'deadline-test' });
});
afterEach(async () => {
  // Release first, also after a failed assertion: close() waits for a call still inside the library.
  for (const { hsm, fault } of opened.splice(0)) {
    await fault.release();
    await hsm.close();
  }
});
afterAll(async () => {
  await token?.cleanup();
});

async function open(options: Parameters<typeof openThroughFault>[3], delay?: FaultDelay) {
  const dir = join(token.dir, `fault-${dirs++}`);
  const { hsm, fault } = await openThroughFault(token, dir, [], options, delay);
  opened.push({ hsm, fault });
  const key = (await hsm.keys()).find((k) => k.curve === 'p256')!;
  return { hsm, fault, key };
}

/** Waits until the wrapper has logged `n` lines for `fn` (e.g. a C_Sign now held). */
async function logged(fault: FaultLibrary, fn: string, n: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if ((await fault.calls(fn)).length >= n) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`never saw ${n} × ${fn}`);
}

async function settled(p: Promise<unknown>): Promise<boolean> {
  const mark = Symbol();
  return (
    (await Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      Promise.resolve(mark),
    ])) !== mark
  );
}

async function signVerified(hsm: Hsm, key: HsmKey): Promise<void> {
  const digest = randomBytes(32);
  expect(verifySignature(key, digest, await hsm.sign(key, digest))).toBe(true);
}

describe('deadlines', () => {
  it('answers a sign stuck in C_Sign with ERR_HSM_TIMEOUT and replaces its session', async () => {
    const { hsm, fault, key } = await open({ sessions: 1, timeoutMs: 300 });
    await fault.hold(1);
    const stuck = hsm.sign(key, randomBytes(32));
    await expect(stuck).rejects.toMatchObject({ code: 'ERR_HSM_TIMEOUT', recovery: 'retry' });
    // The held call is still inside the token, yet the one-session pool signs on a fresh session.
    expect(await fault.calls('C_Sign:released')).toHaveLength(0);
    expect(hsm.stats()).toMatchObject({ timeouts: 1, replaced: 1, setAside: 1 });
    await signVerified(hsm, key);
    await fault.release();
    await logged(fault, 'C_Sign:released', 1);
    for (let i = 0; i < 200 && hsm.stats().setAside > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(hsm.stats().setAside).toBe(0);
    // The late signature was made (2 C_Sign in all) but never handed to anyone: the promise stayed rejected.
    expect(await fault.calls('C_Sign')).toHaveLength(2);
    await signVerified(hsm, key);
  });

  it('drops a job still queued at its deadline without calling C_Sign', async () => {
    const { hsm, fault, key } = await open({ sessions: 1, timeoutMs: 60_000 });
    await fault.hold(1);
    const d1 = randomBytes(32);
    // The held call outlives the queued job's deadline, so no replacement session takes the queued job.
    const running = hsm.sign(key, d1, performance.now() + 60_000);
    await logged(fault, 'C_Sign:hold', 1);
    const queued = hsm.sign(key, randomBytes(32), performance.now() + 200);
    await expect(queued).rejects.toMatchObject({ code: 'ERR_HSM_TIMEOUT' });
    expect(hsm.stats()).toMatchObject({ timeouts: 1, replaced: 0, queued: 0 });
    await fault.release();
    expect(verifySignature(key, d1, await running)).toBe(true);
    await signVerified(hsm, key);
    // The held call and the last sign reached the token; the queued one never did.
    expect(await fault.calls('C_Sign')).toHaveLength(2);
  });

  it('refuses at once with ERR_HSM_BUSY when the queue is full, and serves the queue after', async () => {
    const { hsm, fault, key } = await open({ sessions: 1, maxQueue: 2, timeoutMs: 60_000 });
    await fault.hold(1);
    const digests = Array.from({ length: 3 }, () => randomBytes(32));
    const held = [hsm.sign(key, digests[0]!)];
    await logged(fault, 'C_Sign:hold', 1);
    held.push(...digests.slice(1).map((d) => hsm.sign(key, d)));
    // One running (held) and two queued: the fourth is refused while all three still wait.
    await expect(hsm.sign(key, randomBytes(32))).rejects.toMatchObject({
      code: 'ERR_HSM_BUSY',
      recovery: 'retry',
    });
    for (const p of held) expect(await settled(p)).toBe(false);
    expect(hsm.stats()).toMatchObject({ queued: 2, queueFull: 1, maxQueue: 2 });
    await fault.release();
    const sigs = await Promise.all(held);
    for (const [i, d] of digests.entries()) expect(verifySignature(key, d, sigs[i]!)).toBe(true);
  });

  it('bounds replacements: beyond one stuck session per session, the pool waits for one to return', async () => {
    const { hsm, fault, key } = await open({ sessions: 1, timeoutMs: 200 });
    await fault.hold(3);
    await expect(hsm.sign(key, randomBytes(32))).rejects.toMatchObject({ code: 'ERR_HSM_TIMEOUT' });
    await expect(hsm.sign(key, randomBytes(32))).rejects.toMatchObject({ code: 'ERR_HSM_TIMEOUT' });
    // First stuck session replaced; the second is not (bound: 1 per session), so nothing serves now.
    expect(hsm.stats()).toMatchObject({ replaced: 1, setAside: 2 });
    await expect(hsm.sign(key, randomBytes(32))).rejects.toMatchObject({ code: 'ERR_HSM_TIMEOUT' });
    expect(await fault.calls('C_Sign:hold')).toHaveLength(2);
    await fault.release();
    await logged(fault, 'C_Sign', 2);
    // The unreplaced session rejoined the pool on a fresh session.
    await signVerified(hsm, key);
    for (let i = 0; i < 200 && hsm.stats().setAside > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(hsm.stats()).toMatchObject({ setAside: 0, sessions: 1 });
  });
});

describe('reinitialisation behind a hung call', () => {
  it('gives up draining the gate instead of stalling the pool behind a call that never returns', async () => {
    const CKR_DEVICE_REMOVED = 0x32;
    const { hsm, fault, key } = await open({ sessions: 2, timeoutMs: 60_000 });
    await fault.hold(1);
    const d1 = randomBytes(32);
    const held = hsm.sign(key, d1);
    await logged(fault, 'C_Sign:hold', 1);
    // The other session's C_Sign fails in a way that asks for a reinitialisation, which must first wait
    // for every call in flight, including the held one: it gives up, and the sign fails instead of hanging.
    await fault.inject('C_Sign', CKR_DEVICE_REMOVED, 1);
    await expect(hsm.sign(key, randomBytes(32))).rejects.toMatchObject({ code: 'CKR_DEVICE_REMOVED' });
    expect(await fault.calls('C_Sign:released')).toHaveLength(0);
    expect(await fault.calls('C_Finalize')).toHaveLength(0);
    await fault.release();
    expect(verifySignature(key, d1, await held)).toBe(true);
    // The failure counted as an outage (docs/outages.md): signing is back after a probe, with nobody acting.
    for (let i = 0; ; i++) {
      try {
        await signVerified(hsm, key);
        break;
      } catch (err) {
        if (i >= 100 || (err as { code?: string }).code !== 'ERR_HSM_UNAVAILABLE') throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
});

describe('hand-over', () => {
  it('hands a finished signature over while the next C_Sign on the same session is still held', async () => {
    const { hsm, fault, key } = await open({ sessions: 1, timeoutMs: 60_000 });
    await fault.hold(1, 1);
    const d1 = randomBytes(32);
    const d2 = randomBytes(32);
    const first = hsm.sign(key, d1);
    const second = hsm.sign(key, d2);
    await logged(fault, 'C_Sign:hold', 1);
    // Causality, not a clock: the first signature resolves while the second call stays held (nothing
    // releases it before this await returns); a worker that kept it for a batch would withhold it.
    const withheld = new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error('first signature withheld behind the held call')), 20_000).unref();
    });
    const sig1 = await Promise.race([first, withheld]);
    expect(await fault.calls('C_Sign:released')).toHaveLength(0);
    expect(await settled(second)).toBe(false);
    expect(verifySignature(key, d1, sig1)).toBe(true);
    await fault.release();
    expect(verifySignature(key, d2, await second)).toBe(true);
  });

  it('a slow token (2 ms sleep per call) still answers every signature', async () => {
    const { hsm, key } = await open({ sessions: 2, timeoutMs: 60_000, maxQueue: 64 }, { us: 2000 });
    const digests = Array.from({ length: 40 }, () => randomBytes(32));
    const sigs = await Promise.all(digests.map((d) => hsm.sign(key, d)));
    for (const [i, d] of digests.entries()) expect(verifySignature(key, d, sigs[i]!)).toBe(true);
  });
});
