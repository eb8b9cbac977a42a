// Recovery of the session pool, driven by a fault-injecting PKCS#11 library in front of SoftHSM2.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hsm, type HsmKey, Pkcs11Error } from '../src/hsm/index.js';
import { buildFaultLibrary, type FaultLibrary } from './helpers/fault-pkcs11.js';
import { signUntilBack } from './helpers/sign-until-back.js';
import { addKey, createToken, initToken, type TestToken } from './helpers/softhsm.js';
import { verifySignature } from './helpers/verify.js';

const CKR_DEVICE_ERROR = 0x30;
const CKR_DEVICE_REMOVED = 0x32;
const CKR_KEY_HANDLE_INVALID = 0x60;
const CKR_OPERATION_ACTIVE = 0x90;
const CKR_PIN_INCORRECT = 0xa0;
const CKR_SESSION_HANDLE_INVALID = 0xb3;
const CKR_USER_NOT_LOGGED_IN = 0x101;

let token: TestToken;
let fault: FaultLibrary;
let hsm: Hsm;
let key: HsmKey;

async function signAndVerify(h: Hsm, k: HsmKey): Promise<void> {
  const digest = randomBytes(32);
  expect(verifySignature(k, digest, await h.sign(k, digest))).toBe(true);
}

beforeAll(async () => {
  token = await createToken({ label: 'fault-test' });
  fault = await buildFaultLibrary(token.dir);
  // A second token that no instance logs in to: login state is per application and token, so a wrong PIN
  // on an already logged-in token would read as CKR_USER_ALREADY_LOGGED_IN.
  await initToken({ ...token, tokenLabel: 'pin-test' });
  Object.assign(process.env, token.env, fault.env);
  hsm = await Hsm.open({ library: fault.library, tokenLabel: token.tokenLabel, pin: token.pin, sessions: 2 });
  key = (await hsm.keys()).find((k) => k.curve === 'p256')!;
});

afterAll(async () => {
  await hsm?.close();
  await token?.cleanup();
});

describe('pool recovery', () => {
  it('retries transient CKR_DEVICE_ERROR with backoff', async () => {
    const before = hsm.stats();
    await fault.inject('C_Sign', CKR_DEVICE_ERROR, 2);
    await signAndVerify(hsm, key);
    expect(hsm.stats().errors).toBe(before.errors);
  });

  it('recycles the session on CKR_SESSION_HANDLE_INVALID and CKR_OPERATION_ACTIVE', async () => {
    const before = hsm.stats().recycled;
    await fault.inject('C_SignInit', CKR_SESSION_HANDLE_INVALID, 1);
    await signAndVerify(hsm, key);
    await fault.inject('C_SignInit', CKR_OPERATION_ACTIVE, 1);
    await signAndVerify(hsm, key);
    expect(hsm.stats().recycled).toBe(before + 2);
  });

  it('logs in again once on CKR_USER_NOT_LOGGED_IN', async () => {
    const logins = (await fault.calls('C_Login')).length;
    await fault.inject('C_Sign', CKR_USER_NOT_LOGGED_IN, 1);
    await signAndVerify(hsm, key);
    expect((await fault.calls('C_Login')).length).toBe(logins + 1);
  });

  it('reinitialises the library after CKR_DEVICE_REMOVED and serves every session again', async () => {
    const inits = (await fault.calls('C_Initialize')).length;
    const finals = (await fault.calls('C_Finalize')).length;
    await fault.inject('C_Sign', CKR_DEVICE_REMOVED, 1);
    await signAndVerify(hsm, key);
    expect((await fault.calls('C_Finalize')).length).toBe(finals + 1);
    expect((await fault.calls('C_Initialize')).length).toBe(inits + 1);
    // Every worker re-opens its session on the new generation; keys are re-resolved.
    await Promise.all(Array.from({ length: 20 }, () => signAndVerify(hsm, key)));
    for (const k of await hsm.keys()) await signAndVerify(hsm, k);
  });

  it('re-resolves a key after CKR_KEY_HANDLE_INVALID and refuses it once the lookup is ambiguous', async () => {
    // Without sign ahead: the injected C_SignInit failure must meet the request itself, not an idle
    // session preparing its next sign (test/01-hsm-sign-ahead.test.ts covers that one).
    const direct = await Hsm.open({
      library: fault.library,
      tokenLabel: token.tokenLabel,
      pin: token.pin,
      sessions: 2,
      signAhead: false,
    });
    try {
      const k = (await direct.keys()).find((x) => x.curve === 'secp256k1')!;
      await fault.inject('C_SignInit', CKR_KEY_HANDLE_INVALID, 1);
      await signAndVerify(direct, k);
      await addKey(token, { curve: 'secp256k1', label: k.label, id: k.id });
      await signAndVerify(direct, k); // the cached handle still names the original key
      await fault.inject('C_SignInit', CKR_KEY_HANDLE_INVALID, 1);
      const err = await direct.sign(k, randomBytes(32)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Pkcs11Error);
      expect(err).toMatchObject({ code: 'ERR_HSM_KEY_AMBIGUOUS', fn: 'C_FindObjects' });
    } finally {
      await direct.close();
    }
  });

  it('gives up on a persistent failure with a classified Pkcs11Error, then recovers', async () => {
    await fault.inject('C_Sign', CKR_DEVICE_ERROR, 1000);
    const err = await hsm.sign(key, randomBytes(32)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Pkcs11Error);
    // Retries and a reinitialisation did not help: an outage starts (refusals until a probe succeeds).
    expect(err).toMatchObject({
      code: 'CKR_DEVICE_ERROR',
      rv: CKR_DEVICE_ERROR,
      fn: 'C_Sign',
      recovery: 'retry',
    });
    expect((err as Error).message).toContain('CKR_DEVICE_ERROR');
    await fault.clear();
    await signUntilBack(hsm, key);
  });

  it('never retries a PIN rejected during re-login, and the pool stays failed without new attempts', async () => {
    const second = await Hsm.open({ library: fault.library, tokenLabel: token.tokenLabel, pin: token.pin });
    const k = (await second.keys()).find((x) => x.curve === 'ed25519')!;
    const logins = (await fault.calls('C_Login')).length;
    await fault.inject('C_Sign', CKR_USER_NOT_LOGGED_IN, 1);
    await writeFaults(
      `C_Sign ${CKR_USER_NOT_LOGGED_IN.toString(16)} 1\nC_Login ${CKR_PIN_INCORRECT.toString(16)} 5\n`,
    );
    const err = await second.sign(k, randomBytes(32)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CKR_PIN_INCORRECT', fn: 'C_Login', recovery: 'fatal' });
    const again = await second.sign(k, randomBytes(32)).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'CKR_PIN_INCORRECT', recovery: 'fatal' });
    expect((await fault.calls('C_Login')).length).toBe(logins + 1);
    await fault.clear();
    await second.close();
    await signAndVerify(hsm, key); // the other instance is unaffected
  });

  it('makes exactly one login attempt with a wrong PIN at open', async () => {
    const logins = (await fault.calls('C_Login')).length;
    const err = await Hsm.open({ library: fault.library, tokenLabel: 'pin-test', pin: '999999' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Pkcs11Error);
    expect(err).toMatchObject({
      code: 'CKR_PIN_INCORRECT',
      rv: CKR_PIN_INCORRECT,
      fn: 'C_Login',
      recovery: 'fatal',
    });
    const after = await fault.calls('C_Login');
    expect(after.length).toBe(logins + 1);
    expect(after.at(-1)?.rv).toBe(CKR_PIN_INCORRECT);
  });
});

async function writeFaults(text: string): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(fault.env.FAULT_PKCS11_CONTROL!, text);
}
