// Clear, classified errors for bad libraries, tokens and keys; never a crash.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hsm, listSlots, Pkcs11Error } from '../src/hsm/index.js';
import { addKey, createToken, pkcs11Tool, type TestToken } from './helpers/softhsm.js';
import { verifySignature } from './helpers/verify.js';

const NOT_PKCS11 = '/lib/x86_64-linux-gnu/libz.so.1';

let token: TestToken;

beforeAll(async () => {
  token = await createToken({ label: 'errors-test' });
  process.env.SOFTHSM2_CONF = token.conf;
});

afterAll(async () => {
  await token?.cleanup();
});

function open(extra: Partial<Parameters<typeof Hsm.open>[0]>) {
  return Hsm.open({ library: token.library, tokenLabel: token.tokenLabel, pin: token.pin, ...extra });
}

describe('opening', () => {
  it('names the tokens it saw when none matches', async () => {
    const err = await open({ tokenLabel: 'no-such-token' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Pkcs11Error);
    expect(err).toMatchObject({ code: 'ERR_HSM_TOKEN_NOT_FOUND', rv: 0, recovery: 'none' });
    expect((err as Error).message).toMatch(
      /no token with label "no-such-token"; tokens seen: .*"errors-test"/,
    );
  });

  it('selects by serial and by slot id too', async () => {
    const slot = (await listSlots(token.library)).find((s) => s.label === 'errors-test')!;
    for (const sel of [{ tokenSerial: slot.serial }, { slot: slot.slot }]) {
      const hsm = await Hsm.open({ library: token.library, pin: token.pin, ...sel });
      const [key] = await hsm.keys();
      const digest = randomBytes(32);
      expect(verifySignature(key!, digest, await hsm.sign(key!, digest))).toBe(true);
      await hsm.close();
    }
  });

  it('refuses a missing library, a bare name and a library that is not PKCS#11', async () => {
    await expect(open({ library: '/nonexistent/libpkcs11.so' })).rejects.toMatchObject({
      code: 'ERR_HSM_LOAD',
      message: expect.stringContaining('/nonexistent/libpkcs11.so'),
    });
    await expect(open({ library: 'libsofthsm2.so' })).rejects.toThrow(/absolute path/);
    await expect(listSlots('libsofthsm2.so')).rejects.toThrow(/absolute path/);
    expect(existsSync(NOT_PKCS11)).toBe(true);
    await expect(open({ library: NOT_PKCS11 })).rejects.toMatchObject({
      code: 'ERR_HSM_NOT_PKCS11',
      message: expect.stringContaining('is not a PKCS#11 library'),
    });
  });

  it('refuses a wrong PIN even when the token is already logged in by this process', async () => {
    const first = await open({ sessions: 1 });
    try {
      // PKCS#11 would answer CKR_USER_ALREADY_LOGGED_IN without checking the PIN.
      const err = await open({ pin: '000000', sessions: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Pkcs11Error);
      expect(err).toMatchObject({ code: 'CKR_PIN_INCORRECT', fn: 'C_Login', recovery: 'fatal' });
      expect((err as Error).message).toMatch(/another PIN/);
      const same = await open({ sessions: 1 }); // the right PIN is still accepted
      await same.ping();
      await same.close();
      await first.ping();
    } finally {
      await first.close();
    }
  });

  it('checks options before loading anything', async () => {
    await expect(Hsm.open({ library: token.library, pin: token.pin })).rejects.toThrow(/exactly one of/);
    await expect(open({ tokenSerial: 'x' })).rejects.toThrow(/exactly one of/);
    await expect(open({ sessions: 0 })).rejects.toThrow(RangeError);
    await expect(open({ pin: '' })).rejects.toThrow(/pin/);
    await expect(open({ slot: -1 })).rejects.toThrow(/slot/);
    await expect(open({ signAhead: 'yes' as unknown as boolean })).rejects.toThrow(/signAhead/);
  });
});

describe('keys', () => {
  it('fails cleanly when a listed key was deleted, and skips always-authenticate keys', async () => {
    const hsm = await open({ sessions: 1 });
    try {
      await addKey(token, { curve: 'p256', label: 'doomed', id: '0d' });
      const doomed = (await hsm.keys()).find((k) => k.label === 'doomed')!;
      await pkcs11Tool(token, ['--delete-object', '--type', 'privkey', '--id', '0d']);
      // The cached handle is stale only in our process's view; SoftHSM re-reads the token on lookups.
      const err = await hsm.sign(doomed, randomBytes(32)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Pkcs11Error);
      expect((err as Pkcs11Error).code).toMatch(
        /ERR_HSM_KEY_NOT_FOUND|CKR_KEY_HANDLE_INVALID|CKR_OBJECT_HANDLE_INVALID/,
      );

      await pkcs11Tool(token, [
        ...['--keypairgen', '--key-type', 'EC:prime256v1', '--label', 'needs-pin', '--id', '0e'],
        '--always-auth',
      ]);
      const labels = (await hsm.keys()).map((k) => k.label);
      expect(labels).not.toContain('needs-pin');
      expect(labels).not.toContain('doomed');
      expect(labels).toEqual(expect.arrayContaining(['tz1-key', 'tz2-key', 'tz3-key']));
    } finally {
      await hsm.close();
    }
  });

  it('does not offer keys whose public half is ambiguous', async () => {
    await addKey(token, { curve: 'ed25519', label: 'twin', id: '0f' });
    await addKey(token, { curve: 'ed25519', label: 'twin', id: '0f' });
    const hsm = await open({ sessions: 1 });
    try {
      expect((await hsm.keys()).map((k) => k.label)).not.toContain('twin');
    } finally {
      await hsm.close();
    }
  });

  it('rejects use after close cleanly', async () => {
    const hsm = await open({ sessions: 1 });
    const [key] = await hsm.keys();
    await hsm.close();
    await expect(hsm.sign(key!, randomBytes(32))).rejects.toMatchObject({ code: 'ERR_HSM_CLOSED' });
    await expect(hsm.keys()).rejects.toMatchObject({ code: 'ERR_HSM_CLOSED' });
    await hsm.close(); // idempotent
  });
});
