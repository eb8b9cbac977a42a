// The raw addon, called past src/hsm/'s checks with arguments of the wrong number or type: a TypeError
// (or a rejected Pkcs11Error for a value only the token can judge), never a crash, in every build type.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pkcs11Error } from '../src/hsm/index.js';
import { addon, CKM_ECDSA, type NativePool } from '../src/hsm/native.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { verifySignature } from './helpers/verify.js';

type Loose = Record<string, (...args: unknown[]) => unknown>;
const raw = addon as unknown as Loose;

let token: TestToken;
let pool: NativePool;

beforeAll(async () => {
  token = await createToken({ label: 'raw-arguments' });
  Object.assign(process.env, token.env);
  pool = await addon.open({
    library: token.library,
    selector: 'label',
    value: token.tokenLabel,
    pin: token.pin,
    sessions: 1,
    signAhead: false,
    verifySignatures: true,
    maxQueue: 16,
    verifyTables: 64,
    timeoutMs: 0,
  });
});

afterAll(async () => {
  await pool?.close();
  await token?.cleanup();
});

describe('the raw addon with bad arguments', () => {
  it('throws TypeError from every entry point', () => {
    const calls: Array<[string, unknown[]]> = [
      ['setErrorClass', [1]],
      ['listSlots', [42]],
      ['listSlots', []],
      ['open', [undefined]],
      ['open', [{}]],
      [
        'open',
        [
          {
            library: token.library,
            selector: 'slot',
            value: 'not a bigint',
            pin: '1',
            sessions: 1,
            maxQueue: 1,
          },
        ],
      ],
      ['parsePublicKey', [3, 'params', 'point']],
      ['ecdsaRawToDer', ['r||s']],
      ['verify', [1, 2, 3, 4]],
      ['stageTrace', ['yes']],
      ['moduleUseCount', [null]],
      ['lockFile', ['fd']],
    ];
    for (const [fn, args] of calls) {
      expect(() => raw[fn]!(...args), `${fn}(${args.length} args)`).toThrow(TypeError);
    }
  });

  it('throws TypeError from every pool method, and the pool signs afterwards', async () => {
    const p = pool as unknown as Loose;
    const bytes = new Uint8Array(32);
    const calls: Array<[string, unknown[]]> = [
      ['sign', []],
      ['sign', ['0', CKM_ECDSA, bytes, 0]],
      ['sign', [0, CKM_ECDSA, 'digest', 0]],
      ['sign', [0, CKM_ECDSA, new Float64Array(4), 0]],
      ['generate', [1, 2, 3]],
      ['ping', []],
      ['aesGenerate', ['label']],
      ['aesCrypt', [0, 'yes', 'label', bytes, bytes, bytes]],
      ['probe', ['p256']],
    ];
    for (const [fn, args] of calls) {
      expect(() => p[fn]!(...args), `${fn}(${args.length} args)`).toThrow(TypeError);
    }
    // A ref this pool never handed out is for the pool to judge: a rejection, not a read out of bounds.
    await expect(pool.sign(9999, CKM_ECDSA, bytes, 0)).rejects.toMatchObject({
      code: 'ERR_HSM_KEY_NOT_FOUND',
    });
    await expect(pool.sign(-1, CKM_ECDSA, bytes, 0)).rejects.toBeInstanceOf(Pkcs11Error);
    // A bare library name, which src/hsm/ refuses first, is refused natively too.
    await expect(addon.listSlots('libsofthsm2.so')).rejects.toMatchObject({ code: 'ERR_HSM_LOAD' });

    const key = (await pool.keys()).find((k) => k.curve === 'p256')!;
    const digest = randomBytes(32);
    const signature = await pool.sign(key.ref, CKM_ECDSA, digest, 0);
    const hsmKey = { ...key, id: key.id.toString('hex'), curve: 'p256' } as const;
    expect(verifySignature(hsmKey, digest, signature)).toBe(true);
  });
});
