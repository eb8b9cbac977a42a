// Outages the pool cannot fix in place, driven by the fault-injecting library in front of SoftHSM2:
// C_Initialize failing, the slot list empty for a while, the token missing, sessions closed under the
// pool. While the token is unavailable every job is refused as ERR_HSM_UNAVAILABLE (never a 'none'
// recovery, which the HTTP layer would answer 500); once the token is back the same Hsm signs again
// without being reopened, and every signature verifies.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hsm, HsmKey, Pkcs11Error } from '../src/hsm/index.js';
import { CKR } from './helpers/ckr.js';
import { type FaultLibrary, openThroughFault } from './helpers/fault-pkcs11.js';
import { signUntilBack as signUntilHsmBack } from './helpers/sign-until-back.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { verifySignature } from './helpers/verify.js';

let token: TestToken;
let fault: FaultLibrary;
let hsm: Hsm;
let key: HsmKey;

beforeAll(async () => {
  token = await createToken({ label: 'outage-test' });
  // Bursts of 50 signs: a queue bound above that, so every refusal here is the outage's, not ERR_HSM_BUSY.
  ({ hsm, fault } = await openThroughFault(token, token.dir, [], { sessions: 2, maxQueue: 100 }));
  key = (await hsm.keys()).find((k) => k.curve === 'p256')!;
});

afterAll(async () => {
  await hsm?.close();
  await token?.cleanup();
});

async function signUntilBack(attempts?: number): Promise<Pkcs11Error[]> {
  return signUntilHsmBack(hsm, key, attempts);
}

/**
 * Each error is either what the token answered to an attempt (the one that started the outage, or a
 * probe), matching `cause`, or a refusal naming it (ERR_HSM_UNAVAILABLE); never a 'none' recovery.
 */
function expectUnavailable(errors: Pkcs11Error[], cause: RegExp): void {
  expect(errors[0]!.message).toMatch(cause);
  expect(errors.some((e) => e.code === 'ERR_HSM_UNAVAILABLE')).toBe(true);
  for (const e of errors) {
    expect(e.recovery).not.toBe('none');
    if (e.code === 'ERR_HSM_UNAVAILABLE') expect(e.message).toMatch(/^token unavailable: /);
    else expect(e.message).toMatch(cause);
  }
}

describe('outages', () => {
  it('C_Initialize failing after a reinitialisation: retried on later probes until the library is back', async () => {
    const inits = (await fault.calls('C_Initialize')).length;
    const outages = hsm.stats().outages;
    await fault.injectAll([
      { fn: 'C_Sign', rv: CKR.CRYPTOKI_NOT_INITIALIZED, count: 1 },
      { fn: 'C_Initialize', rv: CKR.DEVICE_ERROR, count: 3 },
    ]);
    const errors = await signUntilBack();
    expectUnavailable(errors, /CKR_(CRYPTOKI_NOT_INITIALIZED|DEVICE_ERROR)/);
    const calls = (await fault.calls('C_Initialize')).slice(inits);
    expect(calls.map((c) => c.rv)).toEqual([CKR.DEVICE_ERROR, CKR.DEVICE_ERROR, CKR.DEVICE_ERROR, 0]);
    expect(hsm.stats()).toMatchObject({ unavailable: false, outages: outages + 1 });
  });

  it('the slot list empty for a while (a client library that lost its server): back without a restart', async () => {
    await fault.injectAll([
      { fn: 'C_Sign', rv: CKR.DEVICE_REMOVED, count: 1 },
      { fn: 'C_GetSlotList:empty', rv: 0, count: 6 },
    ]);
    const errors = await signUntilBack();
    expectUnavailable(errors, /no token with label "outage-test"; tokens seen: none/);
    expect(hsm.stats().unavailable).toBe(false);
    for (const k of await hsm.keys()) {
      const digest = randomBytes(32);
      expect(verifySignature(k, digest, await hsm.sign(k, digest))).toBe(true);
    }
  });

  it('the token missing (CKR_TOKEN_NOT_PRESENT, CKR_SLOT_ID_INVALID) for a while', async () => {
    await fault.injectAll([
      { fn: 'C_Sign', rv: CKR.TOKEN_NOT_PRESENT, count: 1 },
      { fn: 'C_GetTokenInfo', rv: CKR.TOKEN_NOT_PRESENT, count: 8 },
    ]);
    expectUnavailable(await signUntilBack(), /no token with label "outage-test"/);
    await fault.injectAll([
      { fn: 'C_SignInit', rv: CKR.SLOT_ID_INVALID, count: 1 },
      { fn: 'C_GetSlotList', rv: CKR.SLOT_ID_INVALID, count: 4 },
    ]);
    expectUnavailable(await signUntilBack(), /CKR_SLOT_ID_INVALID/);
  });

  it('sessions closed under the pool are reopened in place: no outage', async () => {
    const { outages, recycled } = hsm.stats();
    await fault.injectAll([
      { fn: 'C_Sign', rv: CKR.SESSION_CLOSED, count: 1 },
      { fn: 'C_SignInit', rv: CKR.SESSION_HANDLE_INVALID, count: 1 },
    ]);
    expect(await signUntilBack(1)).toEqual([]);
    expect(hsm.stats().outages).toBe(outages);
    expect(hsm.stats().recycled).toBe(recycled + 2);
  });

  it('during an outage requests are refused at once; the library is probed at most once per interval', async () => {
    await fault.injectAll([
      { fn: 'C_Sign', rv: CKR.DEVICE_REMOVED, count: 1 },
      { fn: 'C_GetSlotList:empty', rv: 0, count: 100_000 },
    ]);
    const first = await hsm.sign(key, randomBytes(32)).catch((e: unknown) => e);
    expect(first).toMatchObject({ code: 'ERR_HSM_TOKEN_NOT_FOUND', recovery: 'reinitialize' });
    expect((first as Error).message).toMatch(/no token with label "outage-test"/);
    const inits = (await fault.calls('C_Initialize')).length;
    // Eight bursts of 50, 100 ms apart: several backoff intervals, 400 requests.
    const results: PromiseSettledResult<Uint8Array>[] = [];
    for (let round = 0; round < 8; round++) {
      results.push(
        ...(await Promise.allSettled(Array.from({ length: 50 }, () => hsm.sign(key, randomBytes(32))))),
      );
      await sleep(100);
    }
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as Pkcs11Error;
      expect(['ERR_HSM_UNAVAILABLE', 'ERR_HSM_TOKEN_NOT_FOUND']).toContain(reason.code);
    }
    expect(hsm.stats().unavailable).toBe(true);
    // Each probe initialises the library at most twice; 400 requests never meant 400 reinitialisations.
    const probes = (await fault.calls('C_Initialize')).length - inits;
    expect(probes).toBeGreaterThan(0);
    expect(probes).toBeLessThan(20);
    await fault.clear();
    await signUntilBack();
    expect(hsm.stats().unavailable).toBe(false);
  });
});
