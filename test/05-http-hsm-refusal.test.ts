// What the HSM path answers when the token refuses or goes away, in process over a real SoftHSM2 token
// behind the fault-injecting library: never 500 "internal error"; a refusal the token would repeat is 503
// without Retry-After and one JSON line on stderr; an outage is 503 with Retry-After until the token is back.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hsm } from '../src/hsm/index.js';
import { Policy } from '../src/policy/policy.js';
import { createApp } from '../src/server/app.js';
import { Signer } from '../src/signer/signer.js';
import { publicKeyFromPoint } from '../src/tezos/keys.js';
import { MemoryStore } from '../src/watermark/memory-store.js';
import { CKR } from './helpers/ckr.js';
import { type FaultLibrary, openThroughFault } from './helpers/fault-pkcs11.js';
import { requestSign } from './helpers/http.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { blockWith } from './helpers/tezos-vectors.js';

let token: TestToken;
let hsm: Hsm;
let fault: FaultLibrary;
let app: ReturnType<typeof createApp>;
let tz3: string;

beforeAll(async () => {
  token = await createToken({ label: 'refusal-test' });
  ({ hsm, fault } = await openThroughFault(token, await mkdtemp(join(tmpdir(), 'refusal-fault-'))));
  const key = (await hsm.keys()).find((k) => k.curve === 'p256')!;
  tz3 = publicKeyFromPoint(key.curve, key.publicKey).pkh;
  app = createApp(await Signer.create(hsm, new MemoryStore(), new Policy(null)), {
    knownKeys: false,
    maxBodyBytes: 4096,
  });
});

afterAll(async () => {
  await hsm?.close();
  await token?.cleanup();
});

async function post(level: number): Promise<{ status: number; retryAfter: string | null; msg: string }> {
  const r = await requestSign(app, tz3, blockWith({ level, round: 0, payloadRound: 0 }));
  const body = (await r.json()) as Array<{ msg: string }>;
  return { status: r.status, retryAfter: r.headers.get('retry-after'), msg: body[0]?.msg ?? '' };
}

/** Runs `f` with process.stderr.write captured; returns what it wrote. */
async function capturingStderr(f: () => Promise<void>): Promise<string> {
  const write = process.stderr.write;
  let text = '';
  process.stderr.write = ((chunk: string) => {
    text += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    await f();
  } finally {
    process.stderr.write = write;
  }
  return text;
}

describe('HSM refusals and outages over HTTP', () => {
  it('a mechanism the token refuses at C_SignInit: 503 without Retry-After, one JSON line on stderr', async () => {
    await fault.inject('C_SignInit', CKR.MECHANISM_INVALID, 1);
    let answer = { status: 0, retryAfter: null as string | null, msg: '' };
    const stderr = await capturingStderr(async () => {
      answer = await post(100);
    });
    expect(answer).toEqual({
      status: 503,
      retryAfter: null,
      msg: 'HSM refused: C_SignInit failed: CKR_MECHANISM_INVALID',
    });
    const lines = stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      severity: 'error',
      msg: 'HSM refused: C_SignInit failed: CKR_MECHANISM_INVALID',
      err: { name: 'Pkcs11Error', code: 'CKR_MECHANISM_INVALID', fn: 'C_SignInit' },
    });
    expect((await post(100)).status).toBe(200); // the same bytes once the token signs again
  });

  it('the token gone for a while: 503 with Retry-After (never 500), then signatures again', async () => {
    await fault.injectAll([
      { fn: 'C_Sign', rv: CKR.DEVICE_REMOVED, count: 1 },
      { fn: 'C_GetSlotList:empty', rv: 0, count: 5 },
    ]);
    const answers: Array<{ status: number; retryAfter: string | null; msg: string }> = [];
    for (let level = 200; level < 400; level++) {
      const a = await post(level);
      answers.push(a);
      if (a.status === 200) break;
      await sleep(50);
    }
    expect(answers.at(-1)!.status).toBe(200);
    const refused = answers.slice(0, -1);
    expect(refused.length).toBeGreaterThan(1);
    for (const a of refused) {
      expect(a.status).toBe(503);
      expect(a.retryAfter).toBe('1');
      expect(a.msg).toMatch(/^HSM unavailable: /);
    }
    expect(refused.some((a) => a.msg.startsWith('HSM unavailable: token unavailable: '))).toBe(true);
  });
});
