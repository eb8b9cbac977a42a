// Load, login, list keys and sign with a real SoftHSM2 token; every signature verified independently.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hsm, listSlots } from '../src/hsm/index.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { verifySignature } from './helpers/verify.js';

let token: TestToken;
let hsm: Hsm;

beforeAll(async () => {
  token = await createToken({ label: 'sign-test' });
  process.env.SOFTHSM2_CONF = token.conf;
  hsm = await Hsm.open({ library: token.library, tokenLabel: token.tokenLabel, pin: token.pin, sessions: 2 });
});

afterAll(async () => {
  await hsm?.close();
  await token?.cleanup();
});

describe('Hsm basics', () => {
  it('lists the token among the slots', async () => {
    const slots = await listSlots(token.library);
    const mine = slots.find((s) => s.label === 'sign-test');
    expect(mine).toBeDefined();
    expect(typeof mine?.slot).toBe('bigint');
    expect(mine?.manufacturer).toContain('SoftHSM');
  });

  it('lists one key per curve with parsed public keys', async () => {
    const keys = await hsm.keys();
    expect(keys.map((k) => [k.label, k.id, k.curve]).sort()).toEqual([
      ['tz1-key', '01', 'ed25519'],
      ['tz2-key', '02', 'secp256k1'],
      ['tz3-key', '03', 'p256'],
    ]);
    for (const k of keys) {
      if (k.curve === 'ed25519') expect(k.publicKey.length).toBe(32);
      else {
        expect(k.publicKey.length).toBe(33);
        expect([2, 3]).toContain(k.publicKey[0]);
      }
    }
  });

  it.each(['p256', 'secp256k1', 'ed25519'] as const)(
    'signs a 32-byte digest with %s and it verifies',
    async (curve) => {
      const key = (await hsm.keys()).find((k) => k.curve === curve)!;
      for (let i = 0; i < 5; i++) {
        const digest = randomBytes(32);
        const sig = await hsm.sign(key, digest);
        expect(sig.length).toBe(64);
        expect(verifySignature(key, digest, sig)).toBe(true);
        const other = Buffer.from(digest);
        other[0]! ^= 1;
        expect(verifySignature(key, other, sig)).toBe(false);
      }
    },
  );

  it('generates keys on every curve that sign and verify', async () => {
    for (const [i, curve] of (['p256', 'secp256k1', 'ed25519'] as const).entries()) {
      const key = await hsm.generateKey(curve, `gen-${curve}`, `a${i}`);
      expect(key.curve).toBe(curve);
      expect(key.id).toBe(`a${i}`);
      const digest = randomBytes(32);
      expect(verifySignature(key, digest, await hsm.sign(key, digest))).toBe(true);
    }
    const labels = (await hsm.keys()).map((k) => k.label);
    expect(labels).toEqual(expect.arrayContaining(['gen-p256', 'gen-secp256k1', 'gen-ed25519']));
    await expect(hsm.generateKey('p256', 'gen-p256')).rejects.toMatchObject({ code: 'ERR_HSM_KEY_EXISTS' });
  });

  it('pings and reports stats', async () => {
    await hsm.ping();
    const s = hsm.stats();
    expect(s.sessions).toBe(2);
    expect(s.signs).toBeGreaterThanOrEqual(18);
    expect(s.busy + s.idle).toBe(2);
  });

  it('rejects bad arguments before reaching the HSM', async () => {
    const [key] = await hsm.keys();
    const ecdsa = (await hsm.keys()).find((k) => k.curve === 'p256')!;
    await expect(hsm.sign(ecdsa, new Uint8Array(31))).rejects.toThrow(RangeError);
    await expect(hsm.sign({ ...key!, ref: 999 }, new Uint8Array(32))).rejects.toThrow(
      /not returned by this Hsm/,
    );
    await expect(hsm.sign(key!, 'abc' as unknown as Uint8Array)).rejects.toThrow(TypeError);
    await expect(hsm.generateKey('rsa' as never, 'x')).rejects.toThrow(TypeError);
    await expect(hsm.generateKey('p256', 'x', 'zz')).rejects.toThrow(/hex/);
  });
});
