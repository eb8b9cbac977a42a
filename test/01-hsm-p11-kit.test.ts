// A real client/server token: SoftHSM2 exported by `p11-kit server`, loaded through p11-kit's client
// module. Signs over the RPC and verifies every signature independently; the mechanism and token-info
// queries, and what the RPC does not carry (CKM_EDDSA).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hsm } from '../src/hsm/index.js';
import { type P11KitServer, startP11KitServer } from './helpers/p11-kit.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { verifySignature } from './helpers/verify.js';

let token: TestToken;
let server: P11KitServer;
let hsm: Hsm;

beforeAll(async () => {
  token = await createToken({ label: 'p11kit-basic' });
  server = await startP11KitServer(token);
  Object.assign(process.env, server.env);
  hsm = await Hsm.open({
    library: server.library,
    tokenLabel: token.tokenLabel,
    pin: token.pin,
    sessions: 2,
  });
});

afterAll(async () => {
  await hsm?.close();
  await server?.stop();
  await token?.cleanup();
});

describe('p11-kit RPC token', () => {
  it.each(['p256', 'secp256k1'] as const)(
    'signs with %s over the RPC and the signature verifies',
    async (curve) => {
      const key = (await hsm.keys()).find((k) => k.curve === curve)!;
      expect(key).toBeDefined();
      for (let i = 0; i < 5; i++) {
        const digest = randomBytes(32);
        const sig = await hsm.sign(key, digest);
        expect(verifySignature(key, digest, sig)).toBe(true);
      }
    },
  );

  it('lists the mechanisms with sizes and flags: CKM_ECDSA crosses the RPC, CKM_EDDSA does not', async () => {
    const remote = await hsm.mechanisms();
    const ecdsa = remote.find((m) => m.name === 'CKM_ECDSA');
    expect(ecdsa).toMatchObject({ type: 0x1041, flags: { sign: true, verify: true } });
    expect(ecdsa!.minKeySize).toBeGreaterThan(0);
    expect(ecdsa!.maxKeySize).toBeGreaterThanOrEqual(256);
    expect(remote.some((m) => m.name === 'CKM_EDDSA')).toBe(false);
    expect(await hsm.signableCurves()).toEqual(new Set(['p256', 'secp256k1']));
    // The same token loaded directly offers CKM_EDDSA: the gap is the transport's.
    const direct = await Hsm.open({ library: token.library, tokenLabel: token.tokenLabel, pin: token.pin });
    try {
      const eddsa = (await direct.mechanisms()).find((m) => m.name === 'CKM_EDDSA');
      expect(eddsa?.flags.sign).toBe(true);
      expect(await direct.signableCurves()).toEqual(new Set(['p256', 'secp256k1', 'ed25519']));
    } finally {
      await direct.close();
    }
  });

  it('reads the token info: label, serial, session limits, versions', async () => {
    const info = await hsm.tokenInfo();
    expect(info).toMatchObject({
      label: 'p11kit-basic',
      manufacturer: 'SoftHSM project',
      model: 'SoftHSM v2',
    });
    expect(info.serial).toMatch(/^[0-9a-f]{16}$/);
    expect(typeof info.slot).toBe('bigint');
    expect(info.flags & 0x400).toBe(0x400); // CKF_TOKEN_INITIALIZED
    // SoftHSM2 reports no session limit (CK_EFFECTIVELY_INFINITE) and does not count open sessions
    // (CK_UNAVAILABLE_INFORMATION, read as null).
    expect(info.maxSessionCount).toBe(0);
    expect(info.maxRwSessionCount).toBe(0);
    expect(info.sessionCount).toBeNull();
    expect(info.rwSessionCount).toBeNull();
    expect(info.maxPinLen).toBe(255);
    expect(info.minPinLen).toBe(4);
    expect(info.firmwareVersion).toMatch(/^\d+\.\d+$/);
  });
});
