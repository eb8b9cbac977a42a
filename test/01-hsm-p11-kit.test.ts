// A real client/server token: SoftHSM2 exported by `p11-kit server`, loaded through p11-kit's client
// module. Signs over the RPC and verifies every signature independently.
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
});
