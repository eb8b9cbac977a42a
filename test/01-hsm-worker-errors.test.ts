// Every promise of the addon settles, whatever its native work throws: a failure that is not a PKCS#11
// return value (here a slot count no caller can allocate for) still rejects with Pkcs11Error.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hsm, listSlots, Pkcs11Error } from '../src/hsm/index.js';
import { buildFaultLibrary, type FaultLibrary } from './helpers/fault-pkcs11.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { verifySignature } from './helpers/verify.js';

let token: TestToken;
let fault: FaultLibrary;

beforeAll(async () => {
  token = await createToken({ label: 'worker-errors' });
  fault = await buildFaultLibrary(token.dir);
  Object.assign(process.env, token.env, fault.env);
});

afterAll(async () => {
  await token?.cleanup();
});

function open() {
  return Hsm.open({ library: fault.library, tokenLabel: token.tokenLabel, pin: token.pin, sessions: 1 });
}

describe('a worker whose native work throws something other than a PKCS#11 failure', () => {
  it('rejects listSlots with Pkcs11Error', async () => {
    await fault.inject('C_GetSlotList:huge', 0, 1);
    const err = await listSlots(fault.library).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Pkcs11Error);
    expect(err).toMatchObject({ code: 'ERR_HSM_INTERNAL', fn: 'listSlots', rv: 0, recovery: 'none' });
  });

  it('rejects open with Pkcs11Error, and the library opens and signs afterwards', async () => {
    await fault.inject('C_GetSlotList:huge', 0, 1);
    const err = await open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Pkcs11Error);
    expect(err).toMatchObject({ code: 'ERR_HSM_INTERNAL', fn: 'open', rv: 0 });
    expect((await listSlots(fault.library)).some((s) => s.label === token.tokenLabel)).toBe(true);
    const hsm = await open();
    try {
      const key = (await hsm.keys()).find((k) => k.curve === 'p256')!;
      const digest = randomBytes(32);
      expect(verifySignature(key, digest, await hsm.sign(key, digest))).toBe(true);
    } finally {
      await hsm.close();
    }
  });
});
