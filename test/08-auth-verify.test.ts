// Request authentication with a real client's bytes: the authentication message is signed by
// @taquito/signer's InMemorySigner the way octez-client signs it (BLAKE2b-256 of the message, then the
// key's curve), and checked by our verifier.

import { secp256k1 } from '@noble/curves/secp256k1.js';
import { InMemorySigner } from '@taquito/signer';
import { b58DecodePublicKeyHash } from '@taquito/utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiToken } from '../src/auth/api-token.js';
import { authenticationMessage, verifyAuthentication } from '../src/auth/authenticate.js';
import { type AuthorizedKey, parseAuthorizedKey } from '../src/auth/authorized-key.js';
import { RequestAuthenticator } from '../src/auth/request-authenticator.js';
import { b58encode } from '../src/tezos/base58.js';
import { decodeSignature } from '../src/tezos/signatures.js';

const MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
// The Tenderbake block request of test/helpers/tezos-vectors.ts (mainnet, level 12).
const BLOCK = Buffer.from(
  '117a06a7700000000c0272b9c070cec8364f71d3361b0196ff250451241dc70933fefbda3b4c0eff329700000000619d27ce0401589994c43f991baf797f80702ba7f11075ea11eaed813c3b2eaf769b42ca30000000210000000102000000040000000c0000000000000004ffffffff0000000400000000c146ae2d2ada6afc75c4e2d84d994366d0944f1d5448f8ce5c99365ab8f7aa05532d7119ff62aeeea609473addaafc033aa264c5cf6ab8af70e1154ed44cb3d800000000ef9ad9f900000000ff408781a014bbc88d879ae2847cb65e31318c61aab34cd000ae27a9103a718b5b00',
  'hex',
);

type ClientCurve = 'ed25519' | 'secp256k1' | 'p256';
const CURVES: ClientCurve[] = ['ed25519', 'secp256k1', 'p256'];

interface Client {
  signer: InMemorySigner;
  publicKey: string;
  pkh: string;
  key: AuthorizedKey;
}

const clients = {} as Record<ClientCurve, Client>;
let stranger: InMemorySigner;
let signerPkh: string; // the baker key the request is for

async function client(curve: ClientCurve, account = 0): Promise<Client> {
  const signer = InMemorySigner.fromMnemonic({
    mnemonic: MNEMONIC,
    curve,
    derivationPath: curve === 'ed25519' ? `44'/1729'/${account}'/0'` : `44'/1729'/${account}'/0/0`,
  });
  const publicKey = await signer.publicKey();
  return { signer, publicKey, pkh: await signer.publicKeyHash(), key: parseAuthorizedKey(publicKey) };
}

/** octez-client's side: sign the authentication message with the client key, b58 signature. */
async function authenticate(signer: InMemorySigner, pkh: string, data: Uint8Array): Promise<string> {
  const res = await signer.sign(Buffer.from(authenticationMessage(pkh, data)).toString('hex'));
  return res.prefixSig;
}

beforeAll(async () => {
  for (const c of CURVES) clients[c] = await client(c);
  stranger = (await client('ed25519', 7)).signer;
  signerPkh = await (await client('p256', 3)).signer.publicKeyHash();
});

describe('authentication message', () => {
  it('is 0x04 ‖ 0x01 ‖ 21-byte pkh ‖ data (octez signer_messages.ml)', () => {
    for (const pkh of [signerPkh, clients.ed25519.pkh, clients.secp256k1.pkh]) {
      const msg = authenticationMessage(pkh, BLOCK);
      const expected = '0401' + b58DecodePublicKeyHash(pkh) + BLOCK.toString('hex');
      expect(Buffer.from(msg).toString('hex')).toBe(expected);
      expect(msg.length).toBe(2 + 21 + BLOCK.length);
    }
    expect(authenticationMessage('tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb', new Uint8Array())[2]).toBe(0);
  });
});

describe('verifyAuthentication', () => {
  for (const curve of CURVES) {
    it(`accepts a ${curve} client signature made like octez-client`, async () => {
      const c = clients[curve];
      expect(c.key.pkh).toBe(c.pkh);
      const sig = await authenticate(c.signer, signerPkh, BLOCK);
      expect(verifyAuthentication([c.key], signerPkh, BLOCK, sig)).toBe('ok');
      // Among several authorized keys, any one may authenticate.
      expect(
        verifyAuthentication(
          Object.values(clients).map((x) => x.key),
          signerPkh,
          BLOCK,
          sig,
        ),
      ).toBe('ok');
      // The generic `sig…` encoding of the same bytes is accepted too.
      const generic = b58encode('sig', decodeSignature(sig).bytes);
      expect(verifyAuthentication([c.key], signerPkh, BLOCK, generic)).toBe('ok');
    });

    it(`refuses a ${curve} signature over other data, another key or by an unlisted key`, async () => {
      const c = clients[curve];
      const sig = await authenticate(c.signer, signerPkh, BLOCK);
      const other = Uint8Array.from(BLOCK);
      other[10] = other[10]! ^ 1;
      expect(verifyAuthentication([c.key], signerPkh, other, sig)).toBe('invalid');
      expect(verifyAuthentication([c.key], c.pkh, BLOCK, sig)).toBe('invalid');
      const others = Object.values(clients)
        .filter((x) => x !== c)
        .map((x) => x.key);
      expect(verifyAuthentication(others, signerPkh, BLOCK, sig)).toBe('invalid');
      // The signed bytes without the 0x04 0x01 envelope are not an authentication.
      const bare = (await c.signer.sign(BLOCK.toString('hex'))).prefixSig;
      expect(verifyAuthentication([c.key], signerPkh, BLOCK, bare)).toBe('invalid');
    });
  }

  it('reports a missing signature as missing', () => {
    const keys = [clients.ed25519.key];
    expect(verifyAuthentication(keys, signerPkh, BLOCK, undefined)).toBe('missing');
    expect(verifyAuthentication(keys, signerPkh, BLOCK, null)).toBe('missing');
    expect(verifyAuthentication(keys, signerPkh, BLOCK, '')).toBe('missing');
  });

  it('reports malformed signatures as invalid, never throws', async () => {
    const keys = [clients.ed25519.key];
    const sig = await authenticate(clients.ed25519.signer, signerPkh, BLOCK);
    for (const bad of [
      'hello',
      sig.slice(0, -1),
      sig.slice(0, -1) + (sig.endsWith('a') ? 'b' : 'a'), // checksum broken
      'BLsig' + 'x'.repeat(137),
      b58encode('BLsig', new Uint8Array(96)),
      b58encode('edsig', new Uint8Array(64)),
    ]) {
      expect(verifyAuthentication(keys, signerPkh, BLOCK, bad)).toBe('invalid');
    }
  });

  it('refuses a high-S secp256k1 signature as octez does (libsecp256k1 verify)', async () => {
    const c = clients.secp256k1;
    const sig = decodeSignature(await authenticate(c.signer, signerPkh, BLOCK)).bytes;
    const n = secp256k1.Point.Fn.ORDER;
    const s = BigInt('0x' + Buffer.from(sig.subarray(32)).toString('hex'));
    expect(s <= n / 2n).toBe(true);
    const high = Uint8Array.from(sig);
    high.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
    expect(verifyAuthentication([c.key], signerPkh, BLOCK, b58encode('spsig1', high))).toBe('invalid');
    expect(verifyAuthentication([c.key], signerPkh, BLOCK, b58encode('spsig1', sig))).toBe('ok');
  });
});

describe('parseAuthorizedKey', () => {
  it('refuses BLS and malformed keys with a message naming the key', () => {
    const blpk = b58encode('BLpk', new Uint8Array(48));
    expect(() => parseAuthorizedKey(blpk)).toThrow(/BLS/);
    expect(() => parseAuthorizedKey('edpkNotAKey')).toThrow();
    expect(() => parseAuthorizedKey(clients.ed25519.pkh)).toThrow();
    // A P-256 "key" that is not on the curve.
    const off = new Uint8Array(33);
    off[0] = 2;
    off.fill(0xff, 1);
    expect(() => parseAuthorizedKey(b58encode('p2pk', off))).toThrow();
  });
});

describe('RequestAuthenticator', () => {
  it('advertises nothing and lets everything through when no list is configured', () => {
    const auth = new RequestAuthenticator(null);
    expect(auth.advertised()).toBeNull();
    expect(auth.requires(signerPkh)).toBe(false);
    expect(auth.check(signerPkh, BLOCK, undefined)).toBe('ok');
  });

  it('applies the server-wide list, advertising its pkhs', async () => {
    const auth = new RequestAuthenticator([clients.ed25519.publicKey, clients.p256.publicKey]);
    expect(auth.advertised()).toEqual([clients.ed25519.pkh, clients.p256.pkh].sort());
    expect(auth.check(signerPkh, BLOCK, undefined)).toBe('missing');
    expect(auth.check(signerPkh, BLOCK, await authenticate(clients.p256.signer, signerPkh, BLOCK))).toBe(
      'ok',
    );
    expect(auth.check(signerPkh, BLOCK, await authenticate(stranger, signerPkh, BLOCK))).toBe('invalid');
  });

  it('lets a per-key list replace the server-wide one for that key only', async () => {
    const other = 'tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb';
    const auth = new RequestAuthenticator(
      [clients.ed25519.publicKey],
      new Map([[signerPkh, [clients.secp256k1.publicKey]]]),
    );
    expect(auth.advertised()).toEqual([clients.ed25519.pkh, clients.secp256k1.pkh].sort());
    const byEd = await authenticate(clients.ed25519.signer, signerPkh, BLOCK);
    const bySp = await authenticate(clients.secp256k1.signer, signerPkh, BLOCK);
    expect(auth.check(signerPkh, BLOCK, bySp)).toBe('ok');
    expect(auth.check(signerPkh, BLOCK, byEd)).toBe('invalid');
    expect(auth.check(other, BLOCK, await authenticate(clients.ed25519.signer, other, BLOCK))).toBe('ok');
    expect(auth.check(other, BLOCK, await authenticate(clients.secp256k1.signer, other, BLOCK))).toBe(
      'invalid',
    );
  });

  it('requires authentication only for keys with a per-key list when there is no server-wide list', async () => {
    const other = 'tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb';
    const auth = new RequestAuthenticator(null, new Map([[signerPkh, [clients.ed25519.publicKey]]]));
    expect(auth.advertised()).toEqual([clients.ed25519.pkh]);
    expect(auth.check(other, BLOCK, undefined)).toBe('ok');
    expect(auth.check(signerPkh, BLOCK, undefined)).toBe('missing');
  });
});

describe('ApiToken', () => {
  it('compares the presented token', () => {
    const t = new ApiToken('correct horse battery staple');
    expect(t.matches('correct horse battery staple')).toBe(true);
    expect(t.matches('correct horse battery stapl')).toBe(false);
    expect(t.matches('')).toBe(false);
    expect(t.matches(undefined)).toBe(false);
  });

  it('reads the token from the named environment variable and refuses weak or absent ones', () => {
    expect(ApiToken.fromEnv('TOK', { TOK: 'a'.repeat(32) }).matches('a'.repeat(32))).toBe(true);
    expect(() => ApiToken.fromEnv('TOK', {})).toThrow(/TOK/);
    expect(() => ApiToken.fromEnv('TOK', { TOK: 'short' })).toThrow(/16 characters/);
  });
});
