// HsmOptions.signAhead (native/sign_ahead.h): an idle worker runs C_SignInit for its next sign. Driven
// through the fault-injecting wrapper in front of SoftHSM2, with one session so the order of jobs is known.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hsm, HsmKey } from '../src/hsm/index.js';
import { type FaultLibrary, openThroughFault } from './helpers/fault-pkcs11.js';
import { signUntilBack } from './helpers/sign-until-back.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { verifySignature } from './helpers/verify.js';

const CKR_DEVICE_ERROR = 0x30;
const CKR_DEVICE_REMOVED = 0x32;
const CKR_OPERATION_NOT_INITIALIZED = 0x91;

let token: TestToken;
let fault: FaultLibrary;
let hsm: Hsm;
let keys: HsmKey[];

async function signAndVerify(k: HsmKey): Promise<void> {
  const digest = randomBytes(32);
  expect(verifySignature(k, digest, await hsm.sign(k, digest))).toBe(true);
}

/** Two signs with `k`, then a ping: the single worker armed C_SignInit for `k` before taking the ping. */
async function arm(k: HsmKey): Promise<void> {
  await signAndVerify(k);
  await signAndVerify(k);
  await hsm.ping();
}

beforeAll(async () => {
  token = await createToken({ label: 'ahead-test' });
  ({ hsm, fault } = await openThroughFault(token, token.dir, [], { signAhead: true }));
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
    await fault.inject('C_SignInit', CKR_DEVICE_ERROR, 1000);
    try {
      await signAndVerify(k); // would fail after three retries without the armed operation
      // Nothing could be armed since: the next sign initialises itself and reports the failure, after
      // which the token counts as unavailable until a probe finds it working (native/outage.h).
      await expect(hsm.sign(k, randomBytes(32))).rejects.toMatchObject({
        code: 'CKR_DEVICE_ERROR',
        fn: 'C_SignInit',
      });
    } finally {
      // The later tests share the token: never leave them a fault that would outlive this one.
      await fault.clear();
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
    await fault.inject('C_Sign', CKR_OPERATION_NOT_INITIALIZED, 1);
    await signAndVerify(k);
    await signAndVerify(k);
  });

  it('reinitialises after CKR_DEVICE_REMOVED on an armed sign and signs ahead again', async () => {
    const k = keys.find((x) => x.curve === 'secp256k1')!;
    await arm(k);
    const finals = (await fault.calls('C_Finalize')).length;
    await fault.inject('C_Sign', CKR_DEVICE_REMOVED, 1);
    await signAndVerify(k);
    expect((await fault.calls('C_Finalize')).length).toBe(finals + 1);
    await arm(k);
    await fault.inject('C_SignInit', CKR_DEVICE_ERROR, 1000);
    await signAndVerify(k); // armed on the new generation's session
    await fault.clear();
  });
});
