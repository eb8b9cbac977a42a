// HsmOptions.signAhead (native/sign_ahead.h, on by default): an idle worker runs C_SignInit for its next
// sign. Driven through the fault-injecting wrapper in front of SoftHSM2, with one session so the order of
// jobs is known: what the token does to a preparation never fails a request that could succeed.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hsm, HsmKey } from '../src/hsm/index.js';
import { CKR } from './helpers/ckr.js';
import { type FaultLibrary, openThroughFault } from './helpers/fault-pkcs11.js';
import { signUntilBack } from './helpers/sign-until-back.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { verifySignature } from './helpers/verify.js';

let token: TestToken;
let fault: FaultLibrary;
let hsm: Hsm;
let keys: HsmKey[];

async function signWith(h: Hsm, k: HsmKey): Promise<void> {
  const digest = randomBytes(32);
  expect(verifySignature(k, digest, await h.sign(k, digest))).toBe(true);
}

function signAndVerify(k: HsmKey): Promise<void> {
  return signWith(hsm, k);
}

/**
 * The single worker prepares its next sign right after a hand-over, and that C_SignInit may consume an
 * injected fault: let it finish first, or the wrapper's rewrite of its control file could bring back
 * the fault cleared meanwhile.
 */
async function clearFaults(): Promise<void> {
  await hsm.ping().catch(() => undefined);
  await fault.clear();
}

/** Prepares `k`, then signs with every C_SignInit failing: only a prepared operation can serve it. */
async function expectServedPrepared(k: HsmKey): Promise<void> {
  await arm(k);
  await fault.inject('C_SignInit', CKR.DEVICE_ERROR, 1000);
  try {
    await signAndVerify(k);
  } finally {
    await clearFaults();
  }
}

/** Two signs with `k`, then a ping: the single worker armed C_SignInit for `k` before taking the ping. */
async function arm(k: HsmKey): Promise<void> {
  await signAndVerify(k);
  await signAndVerify(k);
  await hsm.ping();
}

beforeAll(async () => {
  token = await createToken({ label: 'ahead-test' });
  ({ hsm, fault } = await openThroughFault(token, token.dir, []));
  keys = await hsm.keys();
  expect(keys.map((k) => k.curve).sort()).toEqual(['ed25519', 'p256', 'secp256k1']);
});

afterAll(async () => {
  await fault?.clear();
  await hsm?.close();
  await token?.cleanup();
});

describe('sign ahead', () => {
  it('signs with the C_SignInit armed while idle: no C_SignInit on the sign itself', async () => {
    const k = keys.find((x) => x.curve === 'p256')!;
    await arm(k);
    const ahead = hsm.stats().signsAhead;
    await fault.inject('C_SignInit', CKR.DEVICE_ERROR, 1000);
    try {
      await signAndVerify(k); // would fail after three retries without the armed operation
      expect(hsm.stats().signsAhead).toBe(ahead + 1);
      // Nothing could be armed since: the next sign initialises itself and reports the failure, after
      // which the token counts as unavailable until a probe finds it working (native/outage.h).
      await expect(hsm.sign(k, randomBytes(32))).rejects.toMatchObject({
        code: 'CKR_DEVICE_ERROR',
        fn: 'C_SignInit',
      });
    } finally {
      // The later tests share the token: never leave them a fault that would outlive this one.
      await clearFaults();
    }
    await signUntilBack(hsm, k);
  });

  it('ends an armed operation before another key, keys() or a generation without recycling', async () => {
    const before = hsm.stats();
    for (let round = 0; round < 3; round++) {
      for (const k of keys) {
        await arm(k);
        await signAndVerify(keys[(keys.indexOf(k) + 1) % keys.length]!);
      }
    }
    await arm(keys[0]!);
    expect((await hsm.keys()).length).toBe(keys.length); // C_FindObjects* on the released session
    await arm(keys[0]!);
    const made = await hsm.generateKey('p256', `ahead-${randomBytes(4).toString('hex')}`);
    await signAndVerify(made);
    await signAndVerify(keys[0]!);
    const after = hsm.stats();
    expect(after.recycled).toBe(before.recycled);
    expect(after.errors).toBe(before.errors);
  });

  it('initialises again when the token dropped the armed operation', async () => {
    const k = keys.find((x) => x.curve === 'ed25519')!;
    await arm(k);
    // The wrapper answers without reaching SoftHSM2, whose operation stays active: the C_SignInit in place
    // meets CKR_OPERATION_ACTIVE and the session is recycled (recovery.cpp). Either way the sign succeeds.
    await fault.inject('C_Sign', CKR.OPERATION_NOT_INITIALIZED, 1);
    await signAndVerify(k);
    await signAndVerify(k);
  });

  it('reinitialises after CKR_DEVICE_REMOVED on an armed sign and signs ahead again', async () => {
    const k = keys.find((x) => x.curve === 'secp256k1')!;
    await arm(k);
    const finals = (await fault.calls('C_Finalize')).length;
    await fault.inject('C_Sign', CKR.DEVICE_REMOVED, 1);
    await signAndVerify(k);
    expect((await fault.calls('C_Finalize')).length).toBe(finals + 1);
    await expectServedPrepared(k); // on the new generation's session
  });

  it.each([
    ['CKR_OPERATION_ACTIVE', CKR.OPERATION_ACTIVE],
    ['CKR_DEVICE_ERROR', CKR.DEVICE_ERROR],
    ['CKR_FUNCTION_FAILED', CKR.FUNCTION_FAILED],
  ])(
    'a token refusing the C_SignInit ahead (%s) fails nothing: the next sign initialises itself',
    async (_, rv) => {
      const k = keys.find((x) => x.curve === 'p256')!;
      await arm(k);
      const before = hsm.stats();
      const inits = (await fault.calls('C_SignInit')).length;
      await fault.inject('C_SignInit', rv, 1);
      await signAndVerify(k); // served by the prepared operation; the worker then prepares again: refused
      await hsm.ping();
      const seen = await fault.calls('C_SignInit');
      expect(seen.slice(inits)).toEqual([{ rv }]);
      await signAndVerify(k); // nothing prepared: C_SignInit on the request's path, which succeeds
      await hsm.ping();
      expect((await fault.calls('C_SignInit')).slice(inits + 1).map((c) => c.rv)).toEqual([0, 0]); // its own, then ahead
      const after = hsm.stats();
      expect(after).toMatchObject({
        errors: before.errors,
        recycled: before.recycled,
        outages: before.outages,
      });
      expect(after.unavailable).toBe(false);
    },
  );

  it('after an outage with an operation prepared, serves from a fresh library and prepares again', async () => {
    const k = keys.find((x) => x.curve === 'p256')!;
    await arm(k);
    const outages = hsm.stats().outages;
    // The prepared sign meets a dead library; the reinitialisation then fails for a while.
    await fault.injectAll([
      { fn: 'C_Sign', rv: CKR.CRYPTOKI_NOT_INITIALIZED, count: 1 },
      { fn: 'C_Initialize', rv: CKR.DEVICE_ERROR, count: 3 },
    ]);
    const errors = await signUntilBack(hsm, k);
    expect(errors.some((e) => e.code === 'ERR_HSM_UNAVAILABLE')).toBe(true);
    expect(hsm.stats().outages).toBe(outages + 1);
    await clearFaults();
    await expectServedPrepared(k); // on the new library's session
    await signUntilBack(hsm, k);
  });

  it('a prepared sign stuck in C_Sign: answered at its deadline, the session replaced, signing goes on', async () => {
    const { hsm: quick } = await openThroughFault(token, token.dir, [], { timeoutMs: 300 });
    try {
      const k = (await quick.keys()).find((x) => x.curve === 'secp256k1')!;
      for (let i = 0; i < 2; i++) await signWith(quick, k);
      await quick.ping(); // prepared for k
      await fault.hold(1);
      await expect(quick.sign(k, randomBytes(32))).rejects.toMatchObject({ code: 'ERR_HSM_TIMEOUT' });
      expect(quick.stats()).toMatchObject({ replaced: 1, setAside: 1 });
      for (let i = 0; i < 3; i++) await signWith(quick, k); // the replacement's own session
      await fault.release();
      for (let i = 0; i < 200 && quick.stats().setAside > 0; i++) await sleep(5);
      expect(quick.stats().setAside).toBe(0);
      for (let i = 0; i < 3; i++) await signWith(quick, k);
      expect(quick.stats().errors).toBe(0);
    } finally {
      await fault.release();
      await fault.clear();
      await quick.close();
    }
  });

  it('a C_SignInit run ahead that hangs: its session is replaced after a request budget, signing goes on', async () => {
    const { hsm: quick } = await openThroughFault(token, token.dir, [], { timeoutMs: 300 });
    const calls = async (fn: string, n: number) => {
      for (let i = 0; i < 400 && (await fault.calls(fn)).length < n; i++) await sleep(5);
      expect(await fault.calls(fn)).toHaveLength(n);
    };
    try {
      const k = (await quick.keys()).find((x) => x.curve === 'p256')!;
      await signWith(quick, k);
      await fault.hold(1, 1, 'C_SignInit'); // the next sign's own C_SignInit passes, the preparation hangs
      await signWith(quick, k);
      await calls('C_SignInit:hold', 1);
      // Nobody waits on that call, yet the one-session pool would have no session left: the watchdog
      // sets it aside once the last request's budget (300 ms) has passed and starts a replacement.
      for (let i = 0; i < 400 && quick.stats().replaced === 0; i++) await sleep(5);
      expect(quick.stats()).toMatchObject({ replaced: 1, setAside: 1, timeouts: 0, errors: 0 });
      await signWith(quick, k);
      await fault.release();
      await calls('C_SignInit:released', 1);
      for (let i = 0; i < 400 && quick.stats().setAside > 0; i++) await sleep(5);
      expect(quick.stats()).toMatchObject({ setAside: 0, sessions: 1 });
      for (let i = 0; i < 3; i++) await signWith(quick, k);
      expect(quick.stats()).toMatchObject({ errors: 0, timeouts: 0 });
    } finally {
      await fault.release();
      await fault.clear();
      await quick.close();
    }
  });
});
