// CKA_EC_PARAMS / CKA_EC_POINT decoding in every encoding of docs/hsm.md "Key encodings", through the addon's decoder.
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { addon, CKK_EC, CKK_EC_EDWARDS } from '../src/hsm/native.js';

const hex = (s: string) => Buffer.from(s, 'hex');
const P256_OID = hex('06082a8648ce3d030107');
const K1_OID = hex('06052b8104000a');
const ED_OID = hex('06032b6570');
const ED_PRINTABLE = hex('130c656477617264733235353139');
const octet = (b: Uint8Array) => Buffer.concat([Buffer.from([0x04, b.length]), b]);
const bitString = (b: Uint8Array) => Buffer.concat([Buffer.from([0x03, b.length + 1, 0x00]), b]);

describe('public key decoding', () => {
  for (const [name, curve, oid, ascii] of [
    ['p256', p256, P256_OID, ['prime256v1', 'secp256r1', 'P-256']],
    ['secp256k1', secp256k1, K1_OID, ['secp256k1']],
  ] as const) {
    it(`${name}: OID or ASCII params, DER or raw uncompressed/compressed point`, () => {
      const priv = curve.utils.randomSecretKey();
      const full = curve.getPublicKey(priv, false);
      const compressed = curve.getPublicKey(priv, true);
      const params = [
        oid,
        ...ascii.map((a) => Buffer.from(a)),
        Buffer.concat([hex('130a'), Buffer.from('prime256v1')]),
      ];
      for (const p of name === 'p256' ? params : params.slice(0, 2)) {
        for (const point of [octet(full), full, compressed, octet(compressed)]) {
          const out = addon.parsePublicKey(CKK_EC, p, point);
          expect(out.error).toBe('');
          expect(out.curve).toBe(name);
          expect(Buffer.from(out.publicKey).equals(Buffer.from(compressed))).toBe(true);
        }
      }
    });
  }

  it('ed25519: OID or PrintableString params, raw, OCTET STRING or BIT STRING point', () => {
    const pub = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
    for (const params of [ED_OID, ED_PRINTABLE, Buffer.from('edwards25519'), Buffer.alloc(0)]) {
      for (const point of [pub, octet(pub), bitString(pub)]) {
        const out = addon.parsePublicKey(CKK_EC_EDWARDS, params, point);
        expect(out).toMatchObject({ curve: 'ed25519', error: '' });
        expect(Buffer.from(out.publicKey).equals(Buffer.from(pub))).toBe(true);
      }
    }
  });

  it('refuses unknown curves, mismatched key types and malformed points', () => {
    const full = p256.getPublicKey(p256.utils.randomSecretKey(), false);
    expect(addon.parsePublicKey(CKK_EC, hex('06052b81040022'), octet(full)).error).toMatch(/unsupported/); // P-384
    expect(addon.parsePublicKey(CKK_EC_EDWARDS, P256_OID, octet(full)).error).toMatch(/unsupported/);
    expect(addon.parsePublicKey(CKK_EC, ED_OID, octet(full)).error).toMatch(/unsupported/);
    expect(addon.parsePublicKey(CKK_EC, P256_OID, full.subarray(0, 40)).error).toMatch(/malformed/);
    expect(addon.parsePublicKey(CKK_EC, P256_OID, Buffer.from([0x04, 0x41, 0x04])).error).toMatch(
      /malformed/,
    );
    expect(addon.parsePublicKey(CKK_EC, P256_OID, Buffer.alloc(0)).error).toMatch(/malformed/);
    expect(addon.parsePublicKey(CKK_EC_EDWARDS, ED_OID, Buffer.alloc(31)).error).toMatch(/malformed/);
    expect(addon.parsePublicKey(CKK_EC_EDWARDS, ED_OID, bitString(Buffer.alloc(31))).error).toMatch(
      /malformed/,
    );
  });
});
