// AES-GCM (and the AES-CBC + HMAC fallback) sealing of tz4 secrets on a real SoftHSM2 token (docs/tz4.md): key
// generation, encrypt/decrypt round trips, tamper / wrong token / missing key refusals; a token that picks its
// own GCM IV (AWS CloudHSM, fault wrapper gcm-own-iv); sealed files that record their mechanism (version 2,
// version 1 still read) in a key directory; serve signing with a CBC + HMAC sealed key.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { verifySignature } from '@taquito/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlsKey } from '../src/bls/bls-key.js';
import { readSealedDir, unsealDir, writeSealed } from '../src/bls/key-dir.js';
import { sealKey, unsealKey } from '../src/bls/seal.js';
import { aadOf, SealedFileError } from '../src/bls/sealed-file.js';
import { Hsm, type SealMechanism } from '../src/hsm/index.js';
import { parsePublicKey } from '../src/tezos/keys.js';
import { decodeSignature } from '../src/tezos/signatures.js';
import { buildFaultLibrary, type FaultLibrary, openThroughFault } from './helpers/fault-pkcs11.js';
import { postSign } from './helpers/http.js';
import { runCli, type SignerProcess, startSigner } from './helpers/signer-process.js';
import { createToken, type TestToken } from './helpers/softhsm.js';

let token: TestToken;
let other: TestToken;
let hsm: Hsm;
let otherHsm: Hsm;
let dir: string;

beforeAll(async () => {
  token = await createToken({ label: 'seal-test', keys: [] });
  other = await createToken({ label: 'seal-other', keys: [] });
  process.env.SOFTHSM2_CONF = token.conf;
  hsm = await Hsm.open({ library: token.library, tokenLabel: token.tokenLabel, pin: token.pin, sessions: 2 });
  dir = await mkdtemp(join(tmpdir(), 'tz4-seal-'));
});

afterAll(async () => {
  await hsm?.close();
  await otherHsm?.close();
  await token?.cleanup();
  await other?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

const openThroughWrapper = (name: string, modes: string[]) =>
  openThroughFault(token, join(token.dir, name), modes);

describe('AES-GCM in the token', () => {
  it('generates a 256-bit AES key and refuses the same label twice', async () => {
    await hsm.generateAesKey('seal-a');
    await expect(hsm.generateAesKey('seal-a')).rejects.toMatchObject({ code: 'ERR_HSM_KEY_EXISTS' });
  });

  it('encrypts and decrypts with a 12-byte IV, AAD and a 16-byte tag', async () => {
    const iv = new Uint8Array(12).fill(7);
    const aad = new TextEncoder().encode('header');
    const pt = Uint8Array.from({ length: 32 }, (_, i) => i);
    const { iv: used, sealed: ct } = await hsm.encrypt('seal-a', iv, aad, pt);
    expect(Buffer.from(used)).toEqual(Buffer.from(iv)); // SoftHSM2 uses the caller's IV
    expect(ct.length).toBe(48);
    expect(Buffer.from(ct.subarray(0, 32)).equals(Buffer.from(pt))).toBe(false);
    expect(Buffer.from(await hsm.decrypt('seal-a', iv, aad, ct))).toEqual(Buffer.from(pt));
    // Same inputs, same output: deterministic GCM under one key (no hidden randomness in the token).
    expect(Buffer.from((await hsm.encrypt('seal-a', iv, aad, pt)).sealed)).toEqual(Buffer.from(ct));
  });

  it('rejects a flipped ciphertext bit, tag bit, AAD or IV', async () => {
    const iv = new Uint8Array(12).fill(1);
    const aad = new TextEncoder().encode('aad');
    const pt = new Uint8Array(32).fill(9);
    const { sealed: ct } = await hsm.encrypt('seal-a', iv, aad, pt);
    for (const at of [0, 31, 32, 47]) {
      const bad = Uint8Array.from(ct);
      bad[at]! ^= 1;
      await expect(hsm.decrypt('seal-a', iv, aad, bad)).rejects.toThrow();
    }
    await expect(hsm.decrypt('seal-a', iv, new TextEncoder().encode('aaD'), ct)).rejects.toThrow();
    await expect(hsm.decrypt('seal-a', new Uint8Array(12).fill(2), aad, ct)).rejects.toThrow();
    // The token still works afterwards (failed sessions are recycled).
    expect(Buffer.from(await hsm.decrypt('seal-a', iv, aad, ct))).toEqual(Buffer.from(pt));
  });

  it('refuses a missing AES key and bad arguments before the token sees them', async () => {
    const iv = new Uint8Array(12);
    await expect(hsm.encrypt('no-such-key', iv, new Uint8Array(0), new Uint8Array(32))).rejects.toMatchObject(
      {
        code: 'ERR_HSM_KEY_NOT_FOUND',
      },
    );
    await expect(
      hsm.encrypt('seal-a', new Uint8Array(16), new Uint8Array(0), new Uint8Array(32)),
    ).rejects.toThrow(/12 bytes/);
    await expect(hsm.decrypt('seal-a', iv, new Uint8Array(0), new Uint8Array(10))).rejects.toThrow(
      RangeError,
    );
    await expect(hsm.generateAesKey('')).rejects.toThrow(TypeError);
  });
});

describe('AES-CBC + HMAC-SHA256 in the token (tokens without CKM_AES_GCM)', () => {
  const iv = Uint8Array.from({ length: 16 }, (_, i) => i);
  const aad = new TextEncoder().encode('header');
  const pt = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

  it('SoftHSM2 offers GCM; a token without it gets the CBC + HMAC construction', async () => {
    expect(await hsm.sealMechanism()).toBe('aes-gcm');
    const { hsm: noGcm } = await openThroughWrapper('no-gcm', ['no-aes-gcm']);
    try {
      expect(await noGcm.sealMechanism()).toBe('aes-cbc-hmac');
      await expect(noGcm.encrypt('seal-a', new Uint8Array(12), aad, pt)).rejects.toMatchObject({
        code: 'CKR_MECHANISM_INVALID',
      });
      await noGcm.generateAesKey('seal-nogcm', 'aes-cbc-hmac');
      const { iv: used, sealed: ct } = await noGcm.encrypt('seal-nogcm', iv, aad, pt, 'aes-cbc-hmac');
      expect(Buffer.from(used)).toEqual(Buffer.from(iv));
      expect(Buffer.from(await noGcm.decrypt('seal-nogcm', iv, aad, ct, 'aes-cbc-hmac'))).toEqual(
        Buffer.from(pt),
      );
      // The same keys through the plain library: nothing depends on the wrapper.
      expect(Buffer.from(await hsm.decrypt('seal-nogcm', iv, aad, ct, 'aes-cbc-hmac'))).toEqual(
        Buffer.from(pt),
      );
    } finally {
      await noGcm.close();
    }
  });

  it('makes the HMAC key next to an existing AES key, then refuses to make them again', async () => {
    await hsm.generateAesKey('seal-b');
    await expect(hsm.encrypt('seal-b', iv, aad, pt, 'aes-cbc-hmac')).rejects.toMatchObject({
      code: 'ERR_HSM_KEY_NOT_FOUND',
      message: expect.stringContaining('no HMAC key labelled "seal-b"'),
    });
    await hsm.generateAesKey('seal-b', 'aes-cbc-hmac');
    await expect(hsm.generateAesKey('seal-b', 'aes-cbc-hmac')).rejects.toMatchObject({
      code: 'ERR_HSM_KEY_EXISTS',
    });
  });

  it('round-trips with a 16-byte IV, AAD and a 32-byte tag over whole blocks', async () => {
    const { iv: used, sealed: ct } = await hsm.encrypt('seal-b', iv, aad, pt, 'aes-cbc-hmac');
    expect(Buffer.from(used)).toEqual(Buffer.from(iv));
    expect(ct.length).toBe(48 + 32); // 32 bytes padded to 3 blocks, then the tag
    expect(Buffer.from(ct).includes(Buffer.from(pt.subarray(0, 16)))).toBe(false);
    expect(Buffer.from(await hsm.decrypt('seal-b', iv, aad, ct, 'aes-cbc-hmac'))).toEqual(Buffer.from(pt));
    expect(Buffer.from((await hsm.encrypt('seal-b', iv, aad, pt, 'aes-cbc-hmac')).sealed)).toEqual(
      Buffer.from(ct),
    );
    const { sealed: other } = await hsm.encrypt(
      'seal-b',
      iv.map((b) => b ^ 1),
      aad,
      pt,
      'aes-cbc-hmac',
    );
    expect(Buffer.from(other.subarray(0, 48)).equals(Buffer.from(ct.subarray(0, 48)))).toBe(false);
    // Read as GCM output it is refused (the sealed file records which mechanism it used).
    await expect(hsm.decrypt('seal-b', iv.subarray(0, 12), aad, ct)).rejects.toThrow();
  });

  it('rejects a flipped ciphertext bit, tag bit, AAD or IV before decrypting', async () => {
    const { sealed: ct } = await hsm.encrypt('seal-b', iv, aad, pt, 'aes-cbc-hmac');
    for (const at of [0, 47, 48, 79]) {
      const bad = Uint8Array.from(ct);
      bad[at]! ^= 1;
      await expect(hsm.decrypt('seal-b', iv, aad, bad, 'aes-cbc-hmac')).rejects.toMatchObject({
        code: 'CKR_SIGNATURE_INVALID',
      });
    }
    await expect(
      hsm.decrypt('seal-b', iv, new TextEncoder().encode('headeR'), ct, 'aes-cbc-hmac'),
    ).rejects.toThrow();
    await expect(
      hsm.decrypt(
        'seal-b',
        iv.map((b) => b ^ 0x80),
        aad,
        ct,
        'aes-cbc-hmac',
      ),
    ).rejects.toThrow();
    // The keys still work afterwards (failed sessions are recycled).
    expect(Buffer.from(await hsm.decrypt('seal-b', iv, aad, ct, 'aes-cbc-hmac'))).toEqual(Buffer.from(pt));
  });

  it('checks sizes for the mechanism and refuses unknown mechanisms', async () => {
    await expect(hsm.encrypt('seal-b', new Uint8Array(12), aad, pt, 'aes-cbc-hmac')).rejects.toThrow(
      /16 bytes/,
    );
    await expect(hsm.decrypt('seal-b', iv, aad, new Uint8Array(40), 'aes-cbc-hmac')).rejects.toThrow(
      RangeError,
    );
    await expect(hsm.decrypt('seal-b', iv, aad, new Uint8Array(32), 'aes-cbc-hmac')).rejects.toThrow(
      RangeError,
    );
    await expect(hsm.encrypt('seal-b', iv, aad, pt, 'aes-ctr' as unknown as 'aes-gcm')).rejects.toThrow(
      /sealing mechanism/,
    );
    await expect(hsm.generateAesKey('seal-c', 'des' as unknown as 'aes-gcm')).rejects.toThrow(TypeError);
  });
});

describe('a token that uses its own AES-GCM IV (AWS CloudHSM)', () => {
  let ownIv: Hsm;
  let fault: FaultLibrary;

  beforeAll(async () => {
    ({ hsm: ownIv, fault } = await openThroughWrapper('own-iv', ['gcm-own-iv']));
    await hsm.generateAesKey('seal-own-iv');
  });

  afterAll(async () => {
    await ownIv?.close();
  });

  it('encrypt returns the IV the token used, which decrypts; the one asked for does not', async () => {
    const asked = new Uint8Array(12).fill(0x11);
    const aad = new TextEncoder().encode('header');
    const pt = new Uint8Array(32).fill(5);
    const { iv, sealed } = await ownIv.encrypt('seal-own-iv', asked, aad, pt);
    expect((await fault.calls('C_Encrypt:own-iv')).length).toBe(1);
    expect(Buffer.from(iv)).toEqual(Buffer.alloc(12, 0x11 ^ 0x5a));
    expect(Buffer.from(asked)).toEqual(Buffer.alloc(12, 0x11)); // the caller's array is left alone
    expect(Buffer.from(await hsm.decrypt('seal-own-iv', iv, aad, sealed))).toEqual(Buffer.from(pt));
    await expect(hsm.decrypt('seal-own-iv', asked, aad, sealed)).rejects.toThrow();
  });

  it('a key sealed there records that IV and opens (here and through the plain library)', async () => {
    const { key, secretLe } = BlsKey.generate();
    const sealed = await sealKey(ownIv, key, secretLe, 'own-iv', 'seal-own-iv');
    secretLe.fill(0);
    const sub = join(dir, 'own-iv');
    await writeSealed(sub, sealed);
    expect((await fault.calls('C_Encrypt:own-iv')).length).toBe(2);
    for (const sealer of [hsm, ownIv]) {
      const [back] = await unsealDir(sealer, sub);
      expect(back?.pkh).toBe(key.pkh);
      back!.wipe();
    }
    key.wipe();
  });
});

/** A sealed file's JSON fields, to tamper with. */
async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

describe('sealed files record their mechanism', () => {
  let noGcm: Hsm;

  beforeAll(async () => {
    ({ hsm: noGcm } = await openThroughWrapper('no-gcm-files', ['no-aes-gcm']));
    await noGcm.generateAesKey('files-cbc', await noGcm.sealMechanism());
    await hsm.generateAesKey('files-gcm');
  });

  afterAll(async () => {
    await noGcm?.close();
  });

  async function sealInto(sub: string, sealer: Hsm, aesLabel: string, mechanism?: SealMechanism) {
    const { key, secretLe } = BlsKey.generate();
    const sealed = await sealKey(sealer, key, secretLe, `k-${sub}`, aesLabel, mechanism);
    secretLe.fill(0);
    const path = await writeSealed(join(dir, sub), sealed);
    return { key, path };
  }

  it('AES-CBC + HMAC on a token without GCM: version 2, its sizes, opens on either library', async () => {
    const { key, path } = await sealInto('cbc', noGcm, 'files-cbc', 'aes-cbc-hmac');
    const obj = await readJson(path);
    expect(obj).toMatchObject({ version: 2, mechanism: 'aes-cbc-hmac', aes_key_label: 'files-cbc' });
    expect([obj.nonce, obj.ciphertext, obj.tag].map((h) => (h as string).length / 2)).toEqual([16, 48, 32]);
    for (const sealer of [noGcm, hsm]) {
      const [back] = await unsealDir(sealer, join(dir, 'cbc'));
      const msg = Uint8Array.from(Buffer.from('12deadbeef', 'hex'));
      expect(verifySignature(msg, key.publicKey, back!.sign(msg))).toBe(true);
      back!.wipe();
    }
    key.wipe();
  });

  it('AES-GCM: version 2 with "mechanism": "aes-gcm" and its sizes', async () => {
    const { key, path } = await sealInto('gcm', hsm, 'files-gcm');
    const obj = await readJson(path);
    expect(obj).toMatchObject({ version: 2, mechanism: 'aes-gcm' });
    expect([obj.nonce, obj.ciphertext, obj.tag].map((h) => (h as string).length / 2)).toEqual([12, 32, 16]);
    const [back] = await unsealDir(hsm, join(dir, 'gcm'));
    expect(back?.pkh).toBe(key.pkh);
    back!.wipe();
    key.wipe();
  });

  it('a version 1 file (no "mechanism", the old AAD) still opens as AES-GCM', async () => {
    const { key, secretLe } = BlsKey.generate();
    // Written as the version 1 code did, independently of sealed-file.ts.
    const aad = new TextEncoder().encode(
      ['tezos-hsm-signer/bls-sealed/v1', key.pkh, key.publicKey, 'old', 'files-gcm'].join('\n'),
    );
    const nonce = new Uint8Array(12).fill(3);
    const { sealed } = await hsm.encrypt('files-gcm', nonce, aad, secretLe);
    secretLe.fill(0);
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const v1 = {
      format: 'tezos-hsm-signer/bls-sealed',
      version: 1,
      pkh: key.pkh,
      public_key: key.publicKey,
      key_label: 'old',
      aes_key_label: 'files-gcm',
      nonce: hex(nonce),
      ciphertext: hex(sealed.subarray(0, 32)),
      tag: hex(sealed.subarray(32)),
    };
    const sub = join(dir, 'v1');
    await mkdir(sub);
    const path = join(sub, `${key.pkh}.sealed`);
    await writeFile(path, JSON.stringify(v1));
    const [entry] = await readSealedDir(sub);
    expect(entry?.sealed).toMatchObject({ version: 1, mechanism: 'aes-gcm', keyLabel: 'old' });
    const [back] = await unsealDir(hsm, sub);
    expect(back?.pkh).toBe(key.pkh);
    back!.wipe();
    // "mechanism" is no version 1 field; the same bytes claimed as version 2 fail the AAD.
    await writeFile(path, JSON.stringify({ ...v1, mechanism: 'aes-gcm' }));
    await expect(unsealDir(hsm, sub)).rejects.toThrow(/unknown field "mechanism"/);
    await writeFile(path, JSON.stringify({ ...v1, version: 2, mechanism: 'aes-gcm' }));
    await expect(unsealDir(hsm, sub)).rejects.toThrow(/cannot unseal/);
    await writeFile(path, JSON.stringify(v1));
    for (const k of await unsealDir(hsm, sub)) k.wipe();
    key.wipe();
  });

  it('refuses a changed or missing mechanism; the mechanism name is inside the AAD', async () => {
    const gcmPath = (await readSealedDir(join(dir, 'gcm')))[0]!.path;
    const cbcPath = (await readSealedDir(join(dir, 'cbc')))[0]!.path;
    for (const [path, other] of [
      [gcmPath, 'aes-cbc-hmac'],
      [cbcPath, 'aes-gcm'],
    ] as const) {
      const original = await readFile(path, 'utf8');
      const obj = JSON.parse(original) as Record<string, unknown>;
      const sub = join(path, '..');
      await writeFile(path, JSON.stringify({ ...obj, mechanism: other }));
      await expect(unsealDir(hsm, sub)).rejects.toThrow(SealedFileError);
      await writeFile(path, JSON.stringify({ ...obj, mechanism: 'aes-ctr' }));
      await expect(unsealDir(hsm, sub)).rejects.toThrow(/"mechanism" must be one of aes-gcm, aes-cbc-hmac/);
      const { mechanism: _, ...without } = obj;
      await writeFile(path, JSON.stringify(without));
      await expect(unsealDir(hsm, sub)).rejects.toThrow(/"mechanism" must be one of/);
      await writeFile(path, original);
    }
    // The sizes already tell these two apart; the AAD would refuse the swap even if they did not.
    const { sealed } = (await readSealedDir(join(dir, 'gcm')))[0]!;
    const input = Buffer.concat([sealed.ciphertext, sealed.tag]);
    const aad = (mechanism: SealMechanism) => aadOf({ ...sealed, mechanism });
    await expect(hsm.decrypt('files-gcm', sealed.nonce, aad('aes-cbc-hmac'), input)).rejects.toThrow();
    (await hsm.decrypt('files-gcm', sealed.nonce, aad('aes-gcm'), input)).fill(0);
  });
});

describe('serve with a key sealed by AES-CBC + HMAC', () => {
  // An attestation (tag 41, docs/protocol.md): magic 0x13 ‖ mainnet chain id ‖ branch ‖ tag ‖ level 100 ‖
  // round 0 ‖ payload hash.
  const ATTESTATION = `137a06a770${'11'.repeat(32)}29${'00000064'}${'00000000'}${'22'.repeat(32)}`;
  // The octez tz4 signing DST (min-pk, proof-of-possession scheme), written out for an independent check.
  const DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';
  let signer: SignerProcess | null = null;

  afterAll(async () => {
    signer?.proc.kill('SIGTERM');
    await signer?.exited;
  });

  it('keys generate picks it on a token without GCM; serve unseals it and signs verifiable tz4', async () => {
    const home = join(dir, 'serve');
    await mkdir(home);
    await mkdir(join(home, 'fault'));
    const fault = await buildFaultLibrary(join(home, 'fault'), ['no-aes-gcm']);
    await writeFile(join(home, 'hsm-pin'), token.pin, { mode: 0o600 });
    const config = join(home, 'signer.yaml');
    const yaml =
      'server:\n  address: 127.0.0.1:0\n' +
      `hsm:\n  library: ${fault.library}\n  token_label: ${token.tokenLabel}\n  pin_file: ./hsm-pin\n` +
      `  sessions: 1\n  env:\n    SOFTHSM2_CONF: ${JSON.stringify(token.conf)}\n` +
      'watermark:\n  backend: file\n  dir: ./watermarks\n';
    await writeFile(config, yaml);
    const env = { ...fault.env, SOFTHSM2_CONF: token.conf };
    const made = await runCli(
      [
        'keys',
        'generate',
        '--curve',
        'bls12-381',
        '--label',
        'cbc',
        '--aes-label',
        'serve-seal',
        '--config',
        config,
        '--json',
      ],
      env,
    );
    expect(made.stderr).toBe('');
    const out = JSON.parse(made.stdout) as {
      pkh: string;
      public_key: string;
      mechanism: string;
      file: string;
    };
    expect(out.mechanism).toBe('aes-cbc-hmac');
    expect(await readJson(out.file)).toMatchObject({ version: 2, mechanism: 'aes-cbc-hmac' });
    await writeFile(config, `${yaml}tezos:\n  ${out.pkh}:\n    allow:\n      attestation:\n`);
    signer = await startSigner(config, env);
    expect(signer.keys).toContain(out.pkh);
    const res = await postSign(signer.url, out.pkh, ATTESTATION);
    expect(res.status).toBe(200);
    const { signature } = res.body as { signature: string };
    const bls = bls12_381.longSignatures;
    const msg = Uint8Array.from(Buffer.from(ATTESTATION, 'hex'));
    const pk = parsePublicKey(out.public_key).bytes;
    expect(bls.verify(decodeSignature(signature).bytes, bls.hash(msg, DST), pk)).toBe(true);
    expect(bls.verify(decodeSignature(signature).bytes, bls.hash(msg.subarray(1), DST), pk)).toBe(false);
  });
});

describe('sealed tz4 keys', () => {
  it('seals a generated key, writes its file, unseals it and signs verifiably', async () => {
    await hsm.generateAesKey('bls-seal');
    const { key, secretLe } = BlsKey.generate();
    const sealed = await sealKey(hsm, key, secretLe, 'consensus', 'bls-seal');
    const path = await writeSealed(dir, sealed);
    expect(path).toBe(join(dir, `${key.pkh}.sealed`));
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain(Buffer.from(secretLe).toString('hex'));
    const [back] = await unsealDir(hsm, dir);
    expect(back?.pkh).toBe(key.pkh);
    const msg = Uint8Array.from(Buffer.from('13deadbeef', 'hex'));
    expect(verifySignature(msg, key.publicKey, back!.sign(msg))).toBe(true);
    back!.wipe();
    expect(() => back!.sign(msg)).toThrow(/wiped/);
    await expect(writeSealed(dir, sealed)).rejects.toThrow(/already sealed/);
    secretLe.fill(0);
  });

  it('refuses a tampered file: ciphertext, tag, nonce, label, public key', async () => {
    const [entry] = await readSealedDir(dir);
    const path = entry!.path;
    const original = await readFile(path, 'utf8');
    const obj = JSON.parse(original) as Record<string, string>;
    const flipHex = (h: string) => (h[0] === '0' ? '1' : '0') + h.slice(1);
    for (const field of ['ciphertext', 'tag', 'nonce', 'key_label']) {
      const bad = { ...obj, [field]: field === 'key_label' ? 'other' : flipHex(obj[field]!) };
      await writeFile(path, JSON.stringify(bad));
      await expect(unsealDir(hsm, dir)).rejects.toThrow(SealedFileError);
    }
    // A different valid key's public key (and pkh kept): the AAD no longer matches.
    const stranger = BlsKey.generate();
    await writeFile(path, JSON.stringify({ ...obj, public_key: stranger.key.publicKey }));
    await expect(unsealDir(hsm, dir)).rejects.toThrow(/cannot unseal/);
    await writeFile(path, JSON.stringify({ ...obj, version: 3 }));
    await expect(unsealDir(hsm, dir)).rejects.toThrow(/unsupported version/);
    await writeFile(path, '{"format":');
    await expect(unsealDir(hsm, dir)).rejects.toThrow(/not JSON/);
    await writeFile(path, original);
    const keys = await unsealDir(hsm, dir);
    expect(keys).toHaveLength(1);
    for (const k of keys) k.wipe();
  });

  it('refuses to unseal on another token (same AES label, different key) or without the AES key', async () => {
    const [entry] = await readSealedDir(dir);
    const { sealed, path } = entry!;
    await hsm.close();
    process.env.SOFTHSM2_CONF = other.conf;
    otherHsm = await Hsm.open({
      library: other.library,
      tokenLabel: other.tokenLabel,
      pin: other.pin,
      sessions: 1,
    });
    await expect(unsealKey(otherHsm, sealed, path)).rejects.toThrow(/no AES key labelled "bls-seal"/);
    await otherHsm.generateAesKey('bls-seal');
    await expect(unsealKey(otherHsm, sealed, path)).rejects.toThrow(/cannot unseal/);
  });
});
