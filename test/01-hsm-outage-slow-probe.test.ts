// A probe slower than the deadline of the job that carries it: a client library that takes longer to
// reconnect (C_Initialize) than a sign may wait. The job is answered ERR_HSM_TIMEOUT while the probe goes
// on; the probe must still end the outage once it reaches the token, or every later job would be refused
// as unavailable for good.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hsm, HsmKey } from '../src/hsm/index.js';
import { CKR } from './helpers/ckr.js';
import { type FaultLibrary, openThroughFault } from './helpers/fault-pkcs11.js';
import { signUntilBack } from './helpers/sign-until-back.js';
import { createToken, type TestToken } from './helpers/softhsm.js';

let token: TestToken;
let fault: FaultLibrary;
let hsm: Hsm;
let key: HsmKey;

beforeAll(async () => {
  token = await createToken({ label: 'slow-probe-test' });
  // Every C_Initialize takes 300 ms; a sign's deadline is 150 ms.
  ({ hsm, fault } = await openThroughFault(
    token,
    token.dir,
    [],
    { sessions: 1, timeoutMs: 150 },
    { us: 300_000, funcs: ['C_Initialize'] },
  ));
  key = (await hsm.keys()).find((k) => k.curve === 'p256')!;
});

afterAll(async () => {
  await fault?.clear();
  await hsm?.close();
  await token?.cleanup();
});

describe('a probe slower than the deadline', () => {
  it('still ends the outage: the token is used again once a probe has reached it', async () => {
    await fault.injectAll([
      { fn: 'C_Sign', rv: CKR.CRYPTOKI_NOT_INITIALIZED, count: 1 },
      { fn: 'C_Initialize', rv: CKR.DEVICE_ERROR, count: 2 },
    ]);
    const errors = await signUntilBack(hsm, key, 100);
    expect(errors.some((e) => e.code === 'ERR_HSM_UNAVAILABLE')).toBe(true);
    expect(errors.some((e) => e.code === 'ERR_HSM_TIMEOUT')).toBe(true);
    expect(hsm.stats().unavailable).toBe(false);
    expect(hsm.stats().outages).toBeGreaterThan(0);
  });
});
