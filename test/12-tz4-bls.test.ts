// tz4 BLS keys (docs/tz4.md): octez's key vectors, signatures and proofs of possession checked by @taquito/utils
// (an independent verifier over @noble/curves with its own DSTs), blst (native) signatures byte-identical to
// @noble/curves ones, the signing thread with and without blst, and the sealed-file parser.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { verifySignature } from '@taquito/utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlsKey, POP_DST, SIGN_DST } from '../src/bls/bls-key.js';
import {
  loadNativeBls,
  type NativeBls,
  nativeBls,
  SELF_TEST_MSG,
  SELF_TEST_SECRET_BE,
  SELF_TEST_SIG,
} from '../src/bls/native-bls.js';
import { aadOf, parseSealed, SealedFileError, serializeSealed } from '../src/bls/sealed-file.js';
import { parsePublicKey } from '../src/tezos/keys.js';
import { decodeSignature } from '../src/tezos/signatures.js';

// octez tezt/lib_tezos/account.mli (parse_client_output_aggregate) and a flextesa test account.
const VECTORS = [
  {
    pkh: 'tz4EECtMxAuJ9UDLaiMZH7G1GCFYUWsj8HZn',
    pk: 'BLpk1yUiLJ7RezbyViD5ZvWTfQndM3TRRYmvYWkUfH2EJqsLFnzzvpJss6pbuz3U1DDMpk8v16nV',
    sk: 'BLsk1hKAHyGqY9qRbgoSVnjiSmDWpKGjFF3WNQ7BaiaMUA6RMA6Pfq',
  },
  {
    pkh: 'tz4XXtsYav3fZz2FSDa7hcx4F8sh8SaDWNME',
    pk: 'BLpk1nRV5SBB2QCxsiem5Neoywcizr3mkdp167HL1iKFgFvzPhKo4RSy7J8JBh2BgGgVYjNsRGwU',
    sk: 'unencrypted:BLsk1XMDG3iepYGj15mBWc7dYjrkpVVM4VH3y5DyBCN9iAGrELwRbY',
  },
];

// A BLS-mode attestation (magic 0x13, tag 41: level 100, round 0) as the baker sends it.
const ATTESTATION = Uint8Array.from(
  Buffer.from(`137a06a770${'11'.repeat(32)}29000000640000000${'0'}${'22'.repeat(32)}`, 'hex'),
);

describe('tz4 key vectors', () => {
  it('BLpk → tz4 as octez computes it', () => {
    for (const v of VECTORS) expect(parsePublicKey(v.pk).pkh).toBe(v.pkh);
  });

  it('BLsk (little-endian scalar) → BLpk and tz4', () => {
    for (const v of VECTORS) {
      const key = new BlsKey(BlsKey.parseSecret(v.sk));
      expect(key.publicKey).toBe(v.pk);
      expect(key.pkh).toBe(v.pkh);
    }
  });

  it('refuses malformed secrets', () => {
    expect(() => BlsKey.parseSecret('edsk3gUfUPyBSfrS9CCgmCiQsTCHGkviBDusMxDJstFtojtc1zcpsh')).toThrow(
      /BLsk/,
    );
    expect(() => BlsKey.parseSecret('BLsk1hKAHyGqY9qRbgoSVnjiSmDWpKGjFF3WNQ7BaiaMUA6RMA6Pfr')).toThrow(
      /base58/,
    );
    expect(() => new BlsKey(new Uint8Array(32))).toThrow(/scalar/);
    expect(() => new BlsKey(new Uint8Array(32).fill(0xff))).toThrow(/scalar/);
    expect(() => new BlsKey(new Uint8Array(31))).toThrow(/32 bytes/);
  });
});

describe('tz4 signatures', () => {
  const key = new BlsKey(BlsKey.parseSecret(VECTORS[0]!.sk));

  it('signs the whole request (magic byte included, no pre-hash) under the POP-scheme DST', () => {
    const sig = key.sign(ATTESTATION);
    expect(sig.startsWith('BLsig')).toBe(true);
    expect(decodeSignature(sig).bytes.length).toBe(96);
    expect(verifySignature(ATTESTATION, key.publicKey, sig)).toBe(true);
    // Not over the bytes without the magic byte, nor another message.
    expect(verifySignature(ATTESTATION.subarray(1), key.publicKey, sig)).toBe(false);
    expect(verifySignature(ATTESTATION, VECTORS[1]!.pk, sig)).toBe(false);
    // BLS is deterministic: the same bytes give the same signature.
    expect(key.sign(ATTESTATION)).toBe(sig);
  });

  it('proves possession of its public key, or of an override, under the POP DST', () => {
    const pop = key.provePossession();
    const pkBytes = parsePublicKey(key.publicKey).bytes;
    expect(verifySignature(pkBytes, key.publicKey, pop, undefined, true)).toBe(true);
    // Not a plain signature of the same bytes.
    expect(verifySignature(pkBytes, key.publicKey, pop)).toBe(false);
    const other = parsePublicKey(VECTORS[1]!.pk).bytes;
    const popOther = key.provePossession(other);
    const bls = bls12_381.longSignatures;
    expect(bls.verify(decodeSignature(popOther).bytes, bls.hash(other, POP_DST), key.publicKeyBytes)).toBe(
      true,
    );
  });

  it('generates fresh keys that sign verifiably, and wipes them', () => {
    const { key: fresh, secretLe } = BlsKey.generate();
    expect(fresh.pkh.startsWith('tz4')).toBe(true);
    expect(verifySignature(ATTESTATION, fresh.publicKey, fresh.sign(ATTESTATION))).toBe(true);
    fresh.wipe();
    expect(() => fresh.sign(ATTESTATION)).toThrow(/wiped/);
    expect(secretLe.some((b) => b !== 0)).toBe(true);
  });
});

describe('blst (native) signing', () => {
  const native = nativeBls();
  const blst = native.lib as NativeBls;
  const noble = bls12_381.longSignatures;

  it('loads on this platform (linux-x64 glibc prebuilt from npm) and passes its self-test', () => {
    expect(native.error).toBeNull();
    expect(blst).not.toBeNull();
  });

  it('the self-test answer is what @noble/curves computes', () => {
    const sig = noble.sign(noble.hash(SELF_TEST_MSG, SIGN_DST), SELF_TEST_SECRET_BE);
    expect(Buffer.from(noble.Signature.toBytes(sig)).toString('hex')).toBe(SELF_TEST_SIG);
  });

  it('falls back with a reason when the module does not load or signs otherwise', () => {
    const missing = loadNativeBls(() => {
      throw new Error('Cannot find module @chainsafe/blst-linux-x64-gnu');
    });
    expect(missing).toEqual({ lib: null, error: expect.stringMatching(/did not load: Cannot find module/) });
    // A binary hashing under another DST (or otherwise wrong) signs other bytes: refused.
    const wrong = {
      SecretKey: {
        fromBytes: () => ({ sign: () => ({ toBytes: () => new Uint8Array(96) }) }),
      },
    } as unknown as NativeBls;
    expect(loadNativeBls(() => wrong)).toEqual({ lib: null, error: expect.stringMatching(/self-test/) });
  });

  it('gives octez vectors the same public keys and byte-identical signatures as @noble/curves', () => {
    for (const v of VECTORS) {
      const fast = new BlsKey(BlsKey.parseSecret(v.sk), '', blst);
      const slow = new BlsKey(BlsKey.parseSecret(v.sk));
      expect(fast.backend).toBe('blst');
      expect(slow.backend).toBe('noble');
      expect(fast.publicKey).toBe(v.pk);
      for (const msg of [ATTESTATION, Uint8Array.of(3), new Uint8Array(1000).fill(7)]) {
        const sig = fast.sign(msg);
        expect(sig).toBe(slow.sign(msg));
        expect(verifySignature(msg, v.pk, sig)).toBe(true);
      }
      // Proofs of possession stay on @noble/curves (blst-ts has the signing DST only): the same answer.
      expect(fast.provePossession()).toBe(slow.provePossession());
    }
  });

  it('matches @noble/curves for random secrets and messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 48, maxLength: 48 }),
        fc.uint8Array({ maxLength: 300 }),
        (seed, msg) => {
          // Reduce the seed to a valid scalar as keygen does; BlsKey takes it little-endian.
          const be = bls12_381.utils.randomSecretKey(seed);
          const le = Uint8Array.from(be).reverse();
          const fast = new BlsKey(le, '', blst);
          expect(fast.signBytes(msg)).toEqual(new BlsKey(le).signBytes(msg));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a little-endian secret read as big-endian is another key (blst takes big-endian)', () => {
    const le = BlsKey.parseSecret(VECTORS[0]!.sk);
    const pk = Buffer.from(blst.SecretKey.fromBytes(le).toPublicKey().toBytes(true));
    expect(pk.equals(Buffer.from(new BlsKey(le).publicKeyBytes))).toBe(false);
  });

  it('wipe drops the native secret too', () => {
    const key = new BlsKey(BlsKey.parseSecret(VECTORS[1]!.sk), '', blst);
    key.wipe();
    // No reference to blst's SecretKey is left (it zeroes itself when collected).
    expect(key.backend).toBe('noble');
    expect(() => key.sign(ATTESTATION)).toThrow(/wiped/);
  });
});

// The worker loads its .ts source only under tsx (as serve, the benches and signer-process.ts run it),
// so the thread runs in a child `node --import tsx`; it prints what it signed.
async function inThread(
  native: boolean,
): Promise<{ backend: string; sig: string; pop: string; after: string }> {
  const script = `
    import { BlsKey } from './src/bls/bls-key.ts';
    import { BlsSignThread } from './src/bls/sign-thread.ts';
    const msg = Buffer.from('${Buffer.from(ATTESTATION).toString('hex')}', 'hex');
    const { thread, keys } = await BlsSignThread.start([new BlsKey(BlsKey.parseSecret('${VECTORS[0]!.sk}'))],
      { native: ${native} });
    const out = { backend: thread.backend, sig: await keys[0].sign(msg), pop: await keys[0].provePossession() };
    await thread.close();
    out.after = await keys[0].sign(msg).then(() => 'signed', (e) => e.message);
    console.log(JSON.stringify(out));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  return JSON.parse(stdout);
}

describe('signing thread', () => {
  const reference = new BlsKey(BlsKey.parseSecret(VECTORS[0]!.sk));

  it.each([
    [true, /^blst$/],
    [false, /^noble \(blst disabled\)$/],
  ])(
    'native: %s signs as @noble/curves does on this thread, and stops signing at close',
    async (native, backend) => {
      const got = await inThread(native);
      expect(got.backend).toMatch(backend);
      expect(got.sig).toBe(reference.sign(ATTESTATION));
      expect(got.pop).toBe(reference.provePossession());
      expect(got.after).toMatch(/tz4 signing thread exited/);
    },
  );
});

describe('sealed file format', () => {
  const meta = {
    version: 2 as const,
    mechanism: 'aes-gcm' as const,
    pkh: VECTORS[0]!.pkh,
    publicKey: VECTORS[0]!.pk,
    keyLabel: 'consensus',
    aesKeyLabel: 'bls-seal',
  };
  const sealed = {
    ...meta,
    nonce: new Uint8Array(12).fill(1),
    ciphertext: new Uint8Array(32).fill(2),
    tag: new Uint8Array(16).fill(3),
  };

  it('round-trips and binds every public field into the AAD', () => {
    const text = serializeSealed(sealed);
    expect(parseSealed(text, 'f')).toEqual(sealed);
    const aad = new TextDecoder().decode(aadOf(meta));
    for (const v of [meta.mechanism, meta.pkh, meta.publicKey, meta.keyLabel, meta.aesKeyLabel])
      expect(aad).toContain(v);
    expect(aad.startsWith('tezos-hsm-signer/bls-sealed/v2\naes-gcm\n')).toBe(true);
  });

  it('names the file and the field on every error', () => {
    const obj = JSON.parse(serializeSealed(sealed)) as Record<string, unknown>;
    const bad = (o: unknown) => () => parseSealed(JSON.stringify(o), '/x/k.sealed');
    expect(bad({ ...obj, nonce: 'zz' })).toThrow(/\/x\/k.sealed: "nonce" must be 12 bytes/);
    expect(bad({ ...obj, tag: '00' })).toThrow(/"tag" must be 16 bytes/);
    expect(bad({ ...obj, extra: 1 })).toThrow(/unknown field "extra"/);
    expect(bad({ ...obj, format: 'x' })).toThrow(/"format"/);
    expect(bad({ ...obj, version: 0 })).toThrow(/unsupported version 0/);
    expect(bad({ ...obj, pkh: 7 })).toThrow(/"pkh" must be a string/);
    expect(bad([])).toThrow(SealedFileError);
  });
});
