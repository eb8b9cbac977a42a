// Native verification of every HSM signature (native/verify.cpp): the DER encoder against OpenSSL's own
// output, the check itself against @noble/curves signatures, P-256 through its table of multiples
// (native/verify_p256.cpp) against node:crypto and on SoftHSM2's signatures, the pool's table budget, and a
// device that corrupts its signatures (fault-injecting PKCS#11 wrapper in front of SoftHSM2), directly and
// through the HTTP API.
import {
  createHash,
  sign as cryptoSign,
  verify as cryptoVerify,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Hsm, type HsmKey, Pkcs11Error } from '../src/hsm/index.js';
import { addon } from '../src/hsm/native.js';
import { instrumentDevice } from '../src/metrics/instrumented-device.js';
import { SignerMetrics } from '../src/metrics/signer-metrics.js';
import { Policy } from '../src/policy/policy.js';
import { createApp } from '../src/server/app.js';
import { HsmFaultError } from '../src/signer/errors.js';
import type { HsmSignerKey } from '../src/signer/keyring.js';
import { Signer } from '../src/signer/signer.js';
import { blake2b256 } from '../src/tezos/hash.js';
import { decodeSignature } from '../src/tezos/signatures.js';
import { MemoryStore } from '../src/watermark/memory-store.js';
import { type FaultLibrary, openThroughFault } from './helpers/fault-pkcs11.js';
import { requestSign } from './helpers/http.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { bytes, consensus } from './helpers/tezos-vectors.js';
import { verifySignature } from './helpers/verify.js';

const ECDSA = { p256, secp256k1 } as const;
const OPENSSL_CURVE = { p256: 'prime256v1', secp256k1: 'secp256k1' } as const;

describe('ECDSA raw r‖s → DER', () => {
  for (const curve of ['p256', 'secp256k1'] as const) {
    it(`${curve}: byte-identical to OpenSSL's DER, covering high bits and leading zero bytes`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: OPENSSL_CURVE[curve] });
      const seen = new Set<string>();
      const wanted = ['r-high', 'r-low', 's-high', 's-low', 'r-zero', 's-zero'];
      for (let i = 0; i < 20000 && seen.size < wanted.length; i++) {
        const msg = randomBytes(32);
        const der = cryptoSign('sha256', msg, privateKey); // node:crypto's default is DER
        const raw = ECDSA[curve].Signature.fromBytes(der, 'der').toBytes('compact');
        expect(Buffer.from(addon.ecdsaRawToDer(raw)).equals(der)).toBe(true);
        for (const [name, b] of [
          ['r', raw[0]!],
          ['s', raw[32]!],
        ] as const) {
          seen.add(`${name}-${b & 0x80 ? 'high' : 'low'}`);
          if (b === 0) {
            seen.add(`${name}-zero`);
            // OpenSSL accepts our encoding of this signature too.
            expect(cryptoVerify('sha256', msg, publicKey, addon.ecdsaRawToDer(raw))).toBe(true);
          }
        }
      }
      expect([...seen].sort()).toEqual([...wanted].sort());
    });
  }

  it('minimal integers at the extremes, and no encoding for a bad length', () => {
    const raw = new Uint8Array(64);
    raw[31] = 1; // r = 1: 31 leading zero bytes
    raw[32] = 0xff; // s with the high bit set: needs a 0x00 pad
    raw.fill(0xaa, 33);
    const der = addon.ecdsaRawToDer(raw);
    expect(der.subarray(0, 8).toString('hex')).toBe('3026020101022100');
    expect(
      Buffer.from(der).equals(Buffer.from(p256.Signature.fromBytes(raw, 'compact').toBytes('der'))),
    ).toBe(true);
    expect(addon.ecdsaRawToDer(new Uint8Array(64)).toString('hex')).toBe('3006020100020100');
    expect(addon.ecdsaRawToDer(new Uint8Array(63)).length).toBe(0);
    expect(addon.ecdsaRawToDer(new Uint8Array(0)).length).toBe(0);
  });
});

describe('native verification (the process OpenSSL; libsecp256k1 for secp256k1)', () => {
  it('is available under the official Node binary', () => {
    expect(addon.nativeVerify).toBe(true);
  });

  for (const curve of ['p256', 'secp256k1'] as const) {
    it(`${curve}: accepts valid signatures (low and high S), refuses tampered ones and other keys`, () => {
      const impl = ECDSA[curve];
      const sk = impl.utils.randomSecretKey();
      const pk = impl.getPublicKey(sk, true);
      const other = impl.getPublicKey(impl.utils.randomSecretKey(), true);
      for (let i = 0; i < 20; i++) {
        const digest = randomBytes(32);
        const sig = impl.Signature.fromBytes(impl.sign(digest, sk, { prehash: false }), 'compact');
        const high = new impl.Signature(sig.r, impl.Point.Fn.neg(sig.s)).toBytes('compact');
        expect(addon.verify(curve, pk, digest, sig.toBytes('compact'))).toBe(true);
        expect(addon.verify(curve, pk, digest, high)).toBe(true);
        expect(addon.verify(curve, other, digest, sig.toBytes('compact'))).toBe(false);
        const bad = sig.toBytes('compact');
        bad[i % 64]! ^= 1 << (i % 8);
        expect(addon.verify(curve, pk, digest, bad)).toBe(false);
        expect(addon.verify(curve, pk, randomBytes(32), sig.toBytes('compact'))).toBe(false);
      }
      expect(addon.verify(curve, pk, randomBytes(32), new Uint8Array(64))).toBe(false);
      expect(addon.verify(curve, pk, randomBytes(32), new Uint8Array(63))).toBe(false);
    });
  }

  it('ed25519: pure EdDSA over the given bytes', () => {
    const sk = ed25519.utils.randomSecretKey();
    const pk = ed25519.getPublicKey(sk);
    for (const len of [1, 32, 1000]) {
      const msg = randomBytes(len);
      const sig = ed25519.sign(msg, sk);
      expect(addon.verify('ed25519', pk, msg, sig)).toBe(true);
      const bad = Uint8Array.from(sig);
      bad[len % 64]! ^= 0x10;
      expect(addon.verify('ed25519', pk, msg, bad)).toBe(false);
      expect(addon.verify('ed25519', pk, msg, sig.subarray(0, 63))).toBe(false);
    }
  });

  it('secp256k1 through libsecp256k1: agrees with @noble/curves on mutated signatures, refuses r or s out of range and keys off the curve', () => {
    const n = secp256k1.Point.Fn.ORDER;
    const be32 = (x: bigint) => Buffer.from(x.toString(16).padStart(64, '0'), 'hex');
    const sk = secp256k1.utils.randomSecretKey();
    const pk = secp256k1.getPublicKey(sk, true);
    const reference = (digest: Uint8Array, sig: Uint8Array) =>
      secp256k1.verify(sig, digest, pk, { prehash: false, lowS: false });
    let accepted = 0;
    for (let i = 0; i < 64; i++) {
      const digest = randomBytes(32);
      const sig = secp256k1.Signature.fromBytes(secp256k1.sign(digest, sk, { prehash: false }), 'compact');
      const variants = [
        sig.toBytes('compact'),
        new secp256k1.Signature(sig.r, n - sig.s).toBytes('compact'), // high S: the token's raw answer may be
        Buffer.concat([be32(n - sig.r), be32(sig.s)]),
        Buffer.concat([be32(sig.s), be32(sig.r)]),
      ];
      const flipped = sig.toBytes('compact');
      flipped[i % 64]! ^= 1 << (i % 8);
      variants.push(flipped);
      for (const v of variants) {
        const want = reference(digest, v);
        expect(addon.verify('secp256k1', pk, digest, v)).toBe(want);
        if (want) accepted++;
      }
    }
    expect(accepted).toBe(128); // the low-S and high-S forms, every time
    const digest = randomBytes(32);
    const sig = secp256k1.Signature.fromBytes(secp256k1.sign(digest, sk, { prehash: false }), 'compact');
    expect(addon.verifyRepeat('secp256k1', pk, digest, sig.toBytes('compact'), 5)).toBe(5);
    for (const [r, s] of [
      [sig.r, 0n],
      [0n, sig.s],
      [sig.r + n, sig.s], // r + n < 2^256 is the same r modulo n: still refused, as out of range
      [sig.r, sig.s + n],
      [n, sig.s],
      [sig.r, n],
      [(1n << 256n) - 1n, sig.s],
    ] as const) {
      if (r >= 1n << 256n || s >= 1n << 256n) continue;
      const raw = Buffer.concat([be32(r), be32(s)]);
      expect(addon.verify('secp256k1', pk, digest, raw)).toBe(false);
      expect(addon.verifyRepeat('secp256k1', pk, digest, raw, 3)).toBe(0);
    }
    expect(addon.verify('secp256k1', pk, digest.subarray(0, 31), sig.toBytes('compact'))).toBe(false);
    // 02‖x for the first small x with no point on y² = x³ + 7; the uncompressed form; a bad size.
    const off = new Uint8Array(33);
    off[0] = 2;
    for (off[32] = 1; ; off[32]!++) {
      try {
        secp256k1.Point.fromBytes(off);
      } catch {
        break;
      }
    }
    expect(addon.verify('secp256k1', off, digest, sig.toBytes('compact'))).toBeNull();
    expect(
      addon.verify('secp256k1', secp256k1.getPublicKey(sk, false), digest, sig.toBytes('compact')),
    ).toBeNull();
    expect(addon.verify('secp256k1', pk.subarray(0, 32), digest, sig.toBytes('compact'))).toBeNull();
  });

  it('refuses keys OpenSSL cannot parse (a point off the curve, a bad size)', () => {
    // 02‖x for the first small x that is no P-256 point's x-coordinate (x³ − 3x + b a non-residue mod p).
    const off = new Uint8Array(33);
    off[0] = 2;
    const onCurve = (x: number) => {
      off[32] = x;
      try {
        p256.Point.fromBytes(off);
        return true;
      } catch {
        return false;
      }
    };
    let x = 1;
    while (onCurve(x)) x++;
    off[32] = x;
    expect(addon.verify('p256', off, randomBytes(32), new Uint8Array(64))).toBeNull();
    expect(addon.verify('p256', new Uint8Array(65), randomBytes(32), new Uint8Array(64))).toBeNull();
  });
});

describe('P-256 through a table of multiples of the key (native/verify_p256.cpp)', () => {
  const n = p256.Point.Fn.ORDER;
  const be32 = (x: bigint) => Buffer.from(x.toString(16).padStart(64, '0'), 'hex');
  const compressed = (key: KeyObject) =>
    p256.Point.fromBytes(key.export({ format: 'der', type: 'spki' }).subarray(-65)).toBytes(true);
  const sha256 = (m: Uint8Array) => createHash('sha256').update(m).digest();
  /** The table path and the path of a key without one, each over the same items. */
  const both = (pk: Uint8Array, data: Uint8Array[], sigs: Uint8Array[]) => {
    const table = addon.verifyKeys('p256', [pk], data, sigs, true, 1);
    const plain = addon.verifyKeys('p256', [pk], data, sigs, false, 1);
    expect(table).not.toBeNull();
    expect(plain).not.toBeNull();
    // Every verdict on a 64-byte signature over a 32-byte digest came from the table, none from the fallback.
    const tableShaped = data.filter((d, i) => d.length === 32 && sigs[i]!.length === 64).length;
    expect(table!.tableChecks).toBe(tableShaped);
    expect(plain!.tableChecks).toBe(0);
    return { table: table!.results, plain: plain!.results };
  };

  it('agrees with node:crypto.verify on random keys, digests and corruptions of their signatures', () => {
    // node:crypto signs and verifies sha256(m): the ECDSA digest handed to the addon is that hash.
    let accepted = 0;
    let refused = 0;
    for (let k = 0; k < 8; k++) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
      const pk = compressed(publicKey);
      const msgs: Buffer[] = [];
      const sigs: Uint8Array[] = [];
      for (let i = 0; i < 24; i++) {
        const m = randomBytes(1 + (i % 40));
        const sig = cryptoSign('sha256', m, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const r = BigInt(`0x${sig.subarray(0, 32).toString('hex')}`);
        const s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
        const flipped = Buffer.from(sig);
        flipped[Math.floor(Math.random() * 64)]! ^= 1 << Math.floor(Math.random() * 8);
        const otherMsg = Buffer.from(m);
        otherMsg[Math.floor(Math.random() * m.length)]! ^= 1 << Math.floor(Math.random() * 8);
        const random = randomBytes(64);
        for (const [msg, v] of [
          [m, sig],
          [m, Buffer.concat([be32(r), be32(n - s)])], // the high-S (or low-S) twin: valid ECDSA too
          [m, flipped],
          [otherMsg, sig],
          [m, cryptoSign('sha256', m, { key: stranger, dsaEncoding: 'ieee-p1363' })],
          [m, Buffer.concat([be32(s), be32(r)])],
          [m, Buffer.concat([be32(r), be32(s + 1n < n ? s + 1n : 1n)])],
          [m, random],
        ] as const) {
          msgs.push(msg);
          sigs.push(v);
        }
      }
      const { table, plain } = both(pk, msgs.map(sha256), sigs);
      for (let i = 0; i < msgs.length; i++) {
        const want = cryptoVerify(
          'sha256',
          msgs[i]!,
          { key: publicKey, dsaEncoding: 'ieee-p1363' },
          sigs[i]!,
        );
        expect([table[i], plain[i]]).toEqual([want, want]);
        if (want) accepted++;
        else refused++;
      }
    }
    expect(accepted).toBe(8 * 24 * 2); // every signature and its twin
    expect(refused).toBeGreaterThanOrEqual(8 * 24 * 5);
  });

  it('refuses r or s out of [1, n − 1] and lengths other than 64 bytes', () => {
    const sk = p256.utils.randomSecretKey();
    const pk = p256.getPublicKey(sk, true);
    const digest = randomBytes(32);
    const sig = p256.Signature.fromBytes(p256.sign(digest, sk, { prehash: false }), 'compact');
    const cases = [
      [sig.r, 0n],
      [0n, sig.s],
      [n, sig.s],
      [sig.r, n],
      [sig.r + n, sig.s], // < 2^256 and the same r modulo n: refused as out of range, as OpenSSL does
      [sig.r, sig.s + n],
      [(1n << 256n) - 1n, sig.s],
      [sig.r, (1n << 256n) - 1n],
    ].filter(([r, s]) => r! < 1n << 256n && s! < 1n << 256n);
    const sigs: Uint8Array[] = cases.map(([r, s]) => Buffer.concat([be32(r!), be32(s!)]));
    sigs.push(sig.toBytes('compact').subarray(0, 63), new Uint8Array(65), new Uint8Array(0));
    const { table, plain } = both(
      pk,
      sigs.map(() => digest),
      sigs,
    );
    expect(table).toEqual(sigs.map(() => false));
    expect(plain).toEqual(table);
    expect(both(pk, [digest], [sig.toBytes('compact')]).table).toEqual([true]);
    // A digest of another length goes to OpenSSL's EVP path, which takes the digest as given.
    const longer = Buffer.concat([digest, randomBytes(16)]);
    const { table: t2, plain: p2 } = both(
      pk,
      [longer, digest.subarray(0, 31)],
      [sig.toBytes('compact'), sig.toBytes('compact')],
    );
    expect(t2).toEqual(p2);
  });

  describe('on SoftHSM2', () => {
    let token: TestToken;
    let hsm: Hsm;

    beforeAll(async () => {
      token = await createToken({
        label: 'verify-p256',
        keys: [1, 2, 3, 4, 5].map((i) => ({ curve: 'p256' as const, label: `tz3-${i}`, id: `3${i}` })),
      });
      Object.assign(process.env, token.env);
      hsm = await Hsm.open({
        library: token.library,
        tokenLabel: token.tokenLabel,
        pin: token.pin,
        sessions: 2,
        verifyTables: 2,
      });
    });

    afterAll(async () => {
      await hsm?.close();
      await token?.cleanup();
    });

    it('signatures verify and leave; beyond the table budget too; the table path refuses tampered ones', async () => {
      const keys = await hsm.keys();
      expect(keys).toHaveLength(5);
      expect(hsm.stats().verifyTables).toBe(0); // none before a key signs
      const signed: Array<{ key: HsmKey; digest: Uint8Array; sig: Uint8Array }> = [];
      for (let round = 0; round < 4; round++) {
        for (const key of keys) {
          const digest = randomBytes(32);
          const sig = await hsm.sign(key, digest);
          expect(verifySignature(key, digest, sig)).toBe(true);
          signed.push({ key, digest, sig });
        }
        // The first keys to sign get their tables, built by the pool's builder thread; the budget stops at two.
        if (round === 0)
          await vi.waitFor(() => expect(hsm.stats().verifyTables).toBe(2), { timeout: 30_000 });
      }
      // Both sessions' workers checking through the same tables at once.
      const together = await Promise.all(
        Array.from({ length: 24 }, async (_, i) => {
          const key = keys[i % 2]!;
          const digest = randomBytes(32);
          return verifySignature(key, digest, await hsm.sign(key, digest));
        }),
      );
      expect(together.every(Boolean)).toBe(true);
      expect(hsm.stats().verifyTables).toBe(2);
      expect(hsm.stats().errors).toBe(0);
      // The two keys with tables: all their signs but the first (before the table) and the 24 above.
      expect(hsm.stats().verifyTableChecks).toBe(2 * 3 + 24);

      const other = p256.getPublicKey(p256.utils.randomSecretKey(), true);
      for (const { key, digest, sig } of signed.slice(0, 5)) {
        const r = BigInt(`0x${Buffer.from(sig.subarray(0, 32)).toString('hex')}`);
        const s = BigInt(`0x${Buffer.from(sig.subarray(32)).toString('hex')}`);
        const flip = (at: number) => {
          const b = Uint8Array.from(sig);
          b[at]! ^= 0x04;
          return b;
        };
        const variants: Array<[Uint8Array, Uint8Array, boolean]> = [
          [digest, sig, true],
          [digest, Buffer.concat([be32(r), be32(n - s)]), true], // high-S twin: accepted, as OpenSSL does
          [digest, flip(7), false],
          [digest, flip(40), false],
          [Uint8Array.from(digest, (b, i) => (i === 9 ? b ^ 1 : b)), sig, false],
          [digest, Buffer.concat([be32(0n), be32(s)]), false],
          [digest, Buffer.concat([be32(r), be32(0n)]), false],
          [digest, Buffer.concat([be32(n), be32(s)]), false],
          [digest, Buffer.concat([be32(r), be32(n)]), false],
          [digest, Buffer.concat([be32(r + n < 1n << 256n ? r + n : n + 1n), be32(s)]), false],
          [digest, Buffer.concat([be32(r), be32(s + n < 1n << 256n ? s + n : n + 1n)]), false],
          [signed[5]!.digest, signed[5]!.sig, key === signed[5]!.key], // another key's signature
        ];
        const { table, plain } = both(
          key.publicKey,
          variants.map((v) => v[0]),
          variants.map((v) => v[1]),
        );
        expect(table).toEqual(variants.map((v) => v[2]));
        expect(plain).toEqual(table);
        expect(addon.verify('p256', other, digest, sig)).toBe(false);
      }
    });

    it('refuses a verifyTables out of range', async () => {
      const opts = { library: token.library, tokenLabel: token.tokenLabel, pin: token.pin };
      for (const bad of [-1, 1.5, 10_001]) {
        await expect(Hsm.open({ ...opts, verifyTables: bad })).rejects.toThrow(
          /verifyTables must be an integer/,
        );
      }
    });
  });
});

describe('a device returning corrupted signatures', () => {
  let token: TestToken;
  let fault: FaultLibrary;
  let hsm: Hsm;
  let keys: HsmKey[];

  beforeAll(async () => {
    token = await createToken({ label: 'verify-test' });
    ({ hsm, fault } = await openThroughFault(token, token.dir, [], { sessions: 2 }));
    keys = await hsm.keys();
    expect(keys.map((k) => k.curve).sort()).toEqual(['ed25519', 'p256', 'secp256k1']);
  });

  afterAll(async () => {
    await fault?.clear();
    await hsm?.close();
    await token?.cleanup();
  });

  it('the Hsm reports that it verifies', () => {
    expect(hsm.verifiesSignatures).toBe(true);
  });

  it('once: re-signed on a fresh session, and the valid signature is returned', async () => {
    for (const key of keys) {
      const corrupted = (await fault.calls('C_Sign:corrupt')).length;
      const recycled = hsm.stats().recycled;
      await fault.corrupt(1);
      const digest = randomBytes(32);
      const sig = await hsm.sign(key, digest);
      expect(verifySignature(key, digest, sig)).toBe(true);
      expect((await fault.calls('C_Sign:corrupt')).length).toBe(corrupted + 1);
      expect(hsm.stats().recycled).toBe(recycled + 1);
    }
  });

  it('always: ERR_HSM_BAD_SIGNATURE after exactly one re-sign, then recovers', async () => {
    // The P-256 key has signed: its check now goes through its table (native/verify_p256.cpp).
    await vi.waitFor(() => expect(hsm.stats().verifyTables).toBe(1), { timeout: 30_000 });
    const throughTable = hsm.stats().verifyTableChecks;
    for (const key of keys) {
      const corrupted = (await fault.calls('C_Sign:corrupt')).length;
      await fault.corrupt(1000);
      const err = await hsm.sign(key, randomBytes(32)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Pkcs11Error);
      expect(err).toMatchObject({ code: 'ERR_HSM_BAD_SIGNATURE', rv: 0, fn: 'C_Sign', recovery: 'retry' });
      expect((await fault.calls('C_Sign:corrupt')).length).toBe(corrupted + 2);
      await fault.clear();
      const digest = randomBytes(32);
      expect(verifySignature(key, digest, await hsm.sign(key, digest))).toBe(true);
    }
    // The P-256 key's two corrupted signatures and its good one: each verdict from its table.
    expect(hsm.stats().verifyTableChecks).toBe(throughTable + 3);
  });

  it('the signer trusts the device check and builds no JS verifier; a device without it keeps one', async () => {
    const metrics = new SignerMetrics({}, { defaultMetrics: false });
    // As `serve` builds it with a utility listener: the metrics wrapper passes the guarantee on.
    const native = await Signer.create(instrumentDevice(hsm, metrics), new MemoryStore(), new Policy(null));
    const plain = await Signer.create(
      { keys: () => hsm.keys(), sign: (k, d) => hsm.sign(k, d) },
      new MemoryStore(),
      new Policy(null),
    );
    for (const [pkh, k] of native.keys) {
      expect((k as HsmSignerKey).verify).toBeNull();
      expect(typeof (plain.keys.get(pkh) as HsmSignerKey).verify).toBe('function');
    }
  });

  it('opened with verifySignatures: false, the addon passes a corrupted signature and the signer catches it', async () => {
    const unchecked = await Hsm.open({
      library: fault.library,
      tokenLabel: token.tokenLabel,
      pin: token.pin,
      sessions: 1,
      verifySignatures: false,
    });
    try {
      expect(unchecked.verifiesSignatures).toBe(false);
      const signer = await Signer.create(unchecked, new MemoryStore(), new Policy(null));
      for (const [pkh, k] of signer.keys) {
        const key = (k as HsmSignerKey).hsmKey;
        expect(typeof (k as HsmSignerKey).verify).toBe('function');
        const digest = randomBytes(32);
        expect(verifySignature(key, digest, await unchecked.sign(key, digest))).toBe(true);
        const recycled = unchecked.stats().recycled;
        const corrupted = (await fault.calls('C_Sign:corrupt')).length;
        await fault.corrupt(1);
        const bad = await unchecked.sign(key, digest);
        // One corrupting C_Sign, no re-sign: the addon did not look at the signature.
        expect((await fault.calls('C_Sign:corrupt')).length).toBe(corrupted + 1);
        expect(unchecked.stats().recycled).toBe(recycled);
        expect(verifySignature(key, digest, bad)).toBe(false);
        await fault.corrupt(1);
        const err = await signer.sign(pkh, bytes(consensus(0x13, 21, 60, 0))).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(HsmFaultError);
        expect((err as Error).message).toMatch(/^the HSM returned a signature that does not verify under/);
        await fault.clear();
      }
    } finally {
      await fault.clear();
      await unchecked.close();
    }
  });

  it('refuses a verifySignatures that is not a boolean', async () => {
    const opts = { library: fault.library, tokenLabel: token.tokenLabel, pin: token.pin };
    await expect(Hsm.open({ ...opts, verifySignatures: 0 as unknown as boolean })).rejects.toThrow(
      /verifySignatures must be a boolean/,
    );
  });

  it('through HTTP: 503 with Retry-After and no signature when it persists; a valid signature after one fault', async () => {
    const signer = await Signer.create(hsm, new MemoryStore(), new Policy(null));
    const app = createApp(signer, { knownKeys: false, maxBodyBytes: 4096 });
    const post = (pkh: string, hex: string) => requestSign(app, pkh, hex);
    for (const [pkh, k] of signer.keys) {
      const key = (k as HsmSignerKey).hsmKey;
      const att = consensus(0x13, 21, 50, 0);
      await fault.corrupt(1000);
      const refused = await post(pkh, att);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      const body = await refused.text();
      expect(body).not.toContain('signature":');
      expect(JSON.parse(body)).toEqual([
        {
          kind: 'temporary',
          id: 'failure',
          msg: expect.stringMatching(/^HSM unavailable: the HSM returned a signature that does not verify/),
        },
      ]);
      // Nothing was recorded: the same height can still be signed once the device behaves.
      await fault.corrupt(1);
      const ok = await post(pkh, att);
      expect(ok.status).toBe(200);
      const { signature } = (await ok.json()) as { signature: string };
      expect(verifySignature(key, blake2b256(bytes(att)), decodeSignature(signature).bytes)).toBe(true);
      await fault.clear();
    }
  });
});
