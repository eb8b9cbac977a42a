// Key listing: one search per object class whatever the number of keys, the same keys whether the token
// answers attribute templates as PKCS#11 asks, stops at the first unreadable attribute, or keeps the
// public point on the private key and offers no public objects (CloudHSM); no key whose point is off its
// curve; a key replaced under the same label and id is verified against its new point.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hsm, type HsmKey, Pkcs11Error } from '../src/hsm/index.js';
import { openThroughFault } from './helpers/fault-pkcs11.js';
import { addKey, createToken, pkcs11Tool, type TestToken } from './helpers/softhsm.js';
import { verifySignature } from './helpers/verify.js';

const GENERATED = 12;

let token: TestToken;
let expected: HsmKey[];

function summary(keys: HsmKey[]) {
  return keys
    .map((k) => ({
      label: k.label,
      id: k.id,
      curve: k.curve,
      publicKey: Buffer.from(k.publicKey).toString('hex'),
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

const throughWrapper = (name: string, modes: string[]) =>
  openThroughFault(token, join(token.dir, name), modes);

async function signAndVerify(hsm: Hsm, keys: HsmKey[]): Promise<void> {
  for (const key of keys) {
    const data = randomBytes(32);
    expect(verifySignature(key, data, await hsm.sign(key, data))).toBe(true);
  }
}

beforeAll(async () => {
  token = await createToken({ label: 'keys-test' });
  process.env.SOFTHSM2_CONF = token.conf;
  // Two keys sharing a label: told apart by CKA_ID.
  await addKey(token, { curve: 'p256', label: 'shared', id: 'a1' });
  await addKey(token, { curve: 'ed25519', label: 'shared', id: 'a2' });
  const hsm = await Hsm.open({ library: token.library, tokenLabel: token.tokenLabel, pin: token.pin });
  try {
    for (let i = 0; i < GENERATED; i++)
      await hsm.generateKey(i % 2 ? 'p256' : 'secp256k1', `gen-${i}`, (0xc0 + i).toString(16));
    expected = await hsm.keys();
  } finally {
    await hsm.close();
  }
});

afterAll(async () => {
  await token?.cleanup();
});

describe('key listing', () => {
  it('lists every key with the public point generation returned, keys sharing a label included', () => {
    expect(expected).toHaveLength(3 + 2 + GENERATED);
    expect(expected.filter((k) => k.label === 'shared').map((k) => [k.id, k.curve])).toEqual(
      expect.arrayContaining([
        ['a1', 'p256'],
        ['a2', 'ed25519'],
      ]),
    );
  });

  it('searches the token once per object class, not once per key', async () => {
    const { hsm, fault } = await throughWrapper('plain', []);
    try {
      const before = (await fault.calls('C_FindObjectsInit')).length;
      const keys = await hsm.keys();
      expect((await fault.calls('C_FindObjectsInit')).length - before).toBe(2);
      expect(summary(keys)).toEqual(summary(expected));
      await signAndVerify(
        hsm,
        keys.filter((k) => k.label === 'shared'),
      );
    } finally {
      await hsm.close();
    }
  });

  it('gives the same keys when the token stops reading a template at the first unreadable attribute', async () => {
    const { hsm } = await throughWrapper('stop-early', ['attrs-stop-early']);
    try {
      const keys = await hsm.keys();
      expect(summary(keys)).toEqual(summary(expected));
      await signAndVerify(hsm, keys.slice(0, 3));
    } finally {
      await hsm.close();
    }
  });

  it('does not offer a key whose point is off the curve: verification refuses it (libsecp256k1, OpenSSL)', async () => {
    const { hsm } = await throughWrapper('off-curve', ['points-off-curve']);
    try {
      const inventory = await hsm.inventory();
      expect(inventory).toHaveLength(expected.length);
      expect(new Set(inventory.map((e) => e.curve))).toEqual(new Set(['p256', 'secp256k1', 'ed25519']));
      for (const e of inventory) {
        expect(e.usable, `${e.label} ${e.curve}`).toBe(e.curve === 'ed25519');
        if (e.curve !== 'ed25519')
          expect(e.reason).toBe('signature verification refuses the public key (not a point on the curve)');
      }
      const keys = await hsm.keys();
      expect(summary(keys)).toEqual(summary(expected.filter((k) => k.curve === 'ed25519')));
      await signAndVerify(hsm, keys);
    } finally {
      await hsm.close();
    }
  });

  it('takes the point from the private key when the token has no public objects (CloudHSM)', async () => {
    const { hsm, fault } = await throughWrapper('cloudhsm', ['cloudhsm-points']);
    try {
      const before = (await fault.calls('C_FindObjectsInit')).length;
      const keys = await hsm.keys();
      // every private key had its point: no search for public objects at all
      expect((await fault.calls('C_FindObjectsInit')).length - before).toBe(1);
      expect(summary(keys)).toEqual(summary(expected));
      await signAndVerify(hsm, keys.slice(0, 3));
    } finally {
      await hsm.close();
    }
  });

  it('a key replaced on the token under the same label and id: the new one signs, the old HsmKey never again', async () => {
    // The addon parses a key for verification on its first signature; a listing that finds another key
    // under the same label and id must drop that parse.
    const deleteSwapped = async () => {
      for (const type of ['privkey', 'pubkey'])
        await pkcs11Tool(token, ['--delete-object', '--type', type, '--id', 'e0']);
    };
    await addKey(token, { curve: 'p256', label: 'swapped', id: 'e0' });
    const hsm = await Hsm.open({
      library: token.library,
      tokenLabel: token.tokenLabel,
      pin: token.pin,
      sessions: 1,
    });
    try {
      const swapped = async () => (await hsm.inventory()).find((e) => e.label === 'swapped')!;
      const first = await swapped();
      await signAndVerify(hsm, [first.key!]);
      await deleteSwapped();
      await addKey(token, { curve: 'p256', label: 'swapped', id: 'e0' });
      // Before a new listing the old key's handle is stale: found again by label and id, the new object
      // signs, and the check against the listed point refuses what it returns.
      const before = await hsm.sign(first.key!, randomBytes(32)).catch((e: unknown) => e);
      expect(before).toBeInstanceOf(Pkcs11Error);
      expect((before as Pkcs11Error).code).toBe('ERR_HSM_BAD_SIGNATURE');
      // The listing reads the new point and hands out a new HsmKey for it; the old one (whose public key,
      // and so pkh, is the replaced key's) never signs again.
      const second = await swapped();
      expect(Buffer.from(second.publicKey!).equals(Buffer.from(first.publicKey!))).toBe(false);
      expect(second.key).not.toBe(first.key);
      expect(Buffer.from(second.key!.publicKey).equals(Buffer.from(second.publicKey!))).toBe(true);
      const data = randomBytes(32);
      const signature = await hsm.sign(second.key!, data);
      expect(verifySignature(second.key!, data, signature)).toBe(true);
      const stale = await hsm.sign(first.key!, data).catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(Pkcs11Error);
      expect((stale as Pkcs11Error).code).toBe('ERR_HSM_KEY_NOT_FOUND');
      expect((stale as Error).message).toMatch(/replaced on the token/);
      // A listing that finds the same point again keeps handing out the same HsmKey.
      expect((await swapped()).key).toBe(second.key);
    } finally {
      await hsm.close();
      await deleteSwapped();
    }
  });
});
