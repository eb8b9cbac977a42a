// Sign ahead (on by default, native/sign_ahead.h) under concurrent load on SoftHSM2: several keys on
// three curves, more clients than sessions, lone requests between bursts. Every signature is verified
// with the key the request named, and the pool must not have needed a single recycle or retry to get
// there. The mechanism check (same key, another mechanism) goes through the raw addon.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hsm, HsmKey } from '../src/hsm/index.js';
import { addon, CKM_ECDSA, CKM_EDDSA } from '../src/hsm/native.js';
import { type FaultLibrary, openThroughFault } from './helpers/fault-pkcs11.js';
import { signMixedRounds } from './helpers/mixed-key-load.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { verifySignature } from './helpers/verify.js';

let token: TestToken;
let fault: FaultLibrary;
let hsm: Hsm;
let keys: HsmKey[];

beforeAll(async () => {
  token = await createToken({ label: 'ahead-load' });
  // Through the wrapper only to count calls; no fault is injected here. signAhead left to its default.
  ({ hsm, fault } = await openThroughFault(token, token.dir, [], { sessions: 4, maxQueue: 1000 }));
  for (const [curve, n] of [
    ['p256', 2],
    ['secp256k1', 1],
  ] as const) {
    for (let i = 0; i < n; i++) await hsm.generateKey(curve, `load-${curve}-${i}`);
  }
  keys = await hsm.keys();
  expect(keys.map((k) => k.curve).sort()).toEqual([
    'ed25519',
    'p256',
    'p256',
    'p256',
    'secp256k1',
    'secp256k1',
  ]);
}, 60_000);

afterAll(async () => {
  await hsm?.close();
  await token?.cleanup();
});

describe('sign ahead under load', () => {
  it('is on by default: an idle session runs C_SignInit after its second sign with a key', async () => {
    // One session each so that the order of calls is known; the load pool above stays idle meanwhile.
    for (const [options, prepared] of [
      [{}, 1],
      [{ signAhead: false }, 0],
    ] as const) {
      const { hsm: one } = await openThroughFault(token, token.dir, [], options);
      try {
        const key = (await one.keys()).find((x) => x.label === keys[0]!.label)!;
        const before = (await fault.calls('C_SignInit')).length;
        for (let i = 0; i < 2; i++) {
          const digest = randomBytes(32);
          expect(verifySignature(key, digest, await one.sign(key, digest))).toBe(true);
        }
        await one.ping(); // behind the single worker's preparation, if any
        expect((await fault.calls('C_SignInit')).length - before).toBe(2 + prepared);
        const digest = randomBytes(32);
        expect(verifySignature(key, digest, await one.sign(key, digest))).toBe(true);
        expect(one.stats()).toMatchObject({ signs: 3, signsAhead: prepared });
      } finally {
        await one.close();
      }
    }
  });

  it('32 clients over 4 sessions and 6 keys: every signature by the key asked for, nothing recycled', async () => {
    const before = hsm.stats();
    const signs = (await fault.calls('C_Sign')).length;
    const total = await signMixedRounds(hsm, keys, { rounds: 3, clients: 32, perClient: 15, lone: 12 });
    const after = hsm.stats();
    expect(after.signs - before.signs).toBe(total);
    expect(after.signsAhead).toBeGreaterThan(before.signsAhead); // the lone requests found some prepared
    expect(after.errors).toBe(before.errors);
    expect(after.recycled).toBe(before.recycled);
    expect(after).toMatchObject({ busy: 0, queued: 0, timeouts: before.timeouts, outages: before.outages });
    // The token made each signature once, plus at most one discarded one per switch of a prepared key.
    const made = (await fault.calls('C_Sign')).length - signs;
    expect(made).toBeGreaterThanOrEqual(total);
    expect(made).toBeLessThan(total * 2);
  }, 180_000);

  it('never serves a sign for another mechanism from an operation prepared for the same key', async () => {
    const p256 = keys.find((k) => k.curve === 'p256')!;
    // SoftHSM2 offers one mechanism per EC key type, so the other mechanism is one the key refuses: had
    // the prepared CKM_ECDSA operation served it, the request would have come back signed (and verified:
    // the addon checks with the key's curve).
    const pool = await addon.open({
      library: token.library,
      selector: 'label',
      value: token.tokenLabel,
      pin: token.pin,
      sessions: 1,
      signAhead: true,
      verifySignatures: true,
      maxQueue: 16,
      verifyTables: 64,
      timeoutMs: 0,
    });
    try {
      const ref = (await pool.keys()).find((k) => k.label === p256.label)!.ref;
      const ecdsa = async () => {
        const digest = randomBytes(32);
        expect(verifySignature(p256, digest, await pool.sign(ref, CKM_ECDSA, digest, 3000))).toBe(true);
      };
      for (let round = 0; round < 3; round++) {
        await ecdsa();
        await ecdsa();
        await pool.ping(3000); // the single worker has prepared CKM_ECDSA for this key
        // SoftHSM2 accepts the C_SignInit and fails the C_Sign (CKR_GENERAL_ERROR): either way, no signature.
        await expect(pool.sign(ref, CKM_EDDSA, randomBytes(32), 3000)).rejects.toMatchObject({
          fn: expect.stringMatching(/^C_Sign(Init)?$/),
          code: expect.stringMatching(/^CKR_/),
        });
        await ecdsa();
      }
      expect(pool.stats()).toMatchObject({ errors: 3, signs: 9 });
    } finally {
      await pool.close();
    }
  });
});
