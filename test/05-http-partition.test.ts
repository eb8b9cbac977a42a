// A partition between the signer and its HSM, through the HTTP API: every C_Sign blocks (held by the
// fault-injecting library in front of SoftHSM2) while several clients post consensus requests. Each gets
// a 503 with Retry-After while the calls are still blocked, the HSM queue stays within hsm.max_queue, no
// watermark moves for a request that was not answered with a signature (not even once the held calls
// return and the token's late signatures are discarded), and signing resumes after the partition.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hsm } from '../src/hsm/index.js';
import { Policy } from '../src/policy/policy.js';
import { createApp } from '../src/server/app.js';
import type { HsmSignerKey } from '../src/signer/keyring.js';
import { Signer } from '../src/signer/signer.js';
import { blake2b256 } from '../src/tezos/hash.js';
import { decodeSignature } from '../src/tezos/signatures.js';
import { FileStore } from '../src/watermark/file-store.js';
import { type FaultLibrary, openThroughFault } from './helpers/fault-pkcs11.js';
import { requestSign } from './helpers/http.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { bytes, consensus } from './helpers/tezos-vectors.js';
import { verifySignature } from './helpers/verify.js';

const SESSIONS = 2;
const MAX_QUEUE = 2;

let token: TestToken;
let hsm: Hsm;
let fault: FaultLibrary;
let store: FileStore;
let signer: Signer;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  token = await createToken({ label: 'partition' });
  ({ hsm, fault } = await openThroughFault(token, join(token.dir, 'fault'), [], {
    sessions: SESSIONS,
    maxQueue: MAX_QUEUE,
    timeoutMs: 500,
  }));
  store = await FileStore.open(join(token.dir, 'watermarks'));
  signer = await Signer.create(hsm, store, new Policy(null));
  app = createApp(signer, { knownKeys: false, maxBodyBytes: 4096 });
});
afterAll(async () => {
  await fault?.release();
  await hsm?.close();
  await store?.close();
  await token?.cleanup();
});

function post(pkh: string, hex: string) {
  return requestSign(app, pkh, hex);
}

const KINDS = [
  { magic: 0x12, tag: 20, kind: 'preattestation' },
  { magic: 0x13, tag: 21, kind: 'attestation' },
] as const;

describe('HSM partition over HTTP', () => {
  it('answers 503 + Retry-After while C_Sign is blocked, records no mark, and signs again after', async () => {
    const keys = [...signer.keys.values()] as HsmSignerKey[];
    expect(keys.map((k) => k.hsmKey.curve).sort()).toEqual(['ed25519', 'p256', 'secp256k1']);
    // 3 keys × 2 kinds = 6 watermark slots, two requests each (levels 10 and 11): 12 requests at once.
    const clients = keys.flatMap((k) =>
      KINDS.flatMap((c) => [10, 11].map((level) => ({ key: k, c, level }))),
    );
    await fault.hold(1000);
    const t0 = performance.now();
    const answers = await Promise.all(
      clients.map(async ({ key, c, level }) => {
        const r = await post(key.pkh, consensus(c.magic, c.tag, level, 0));
        const body = (await r.json()) as Array<{ msg: string }>;
        return {
          who: `${key.hsmKey.curve} ${c.kind} L${level}`,
          status: r.status,
          retryAfter: r.headers.get('retry-after'),
          msg: body[0]?.msg ?? '',
          ms: Math.round(performance.now() - t0),
        };
      }),
    );
    // Causality: every request was answered while the token was still partitioned.
    expect(await fault.calls('C_Sign:released')).toHaveLength(0);
    console.log(
      'partition timeline:\n' + answers.map((a) => `  ${a.ms} ms ${a.status} ${a.who}: ${a.msg}`).join('\n'),
    );
    for (const a of answers) {
      expect(a.status).toBe(503);
      expect(a.retryAfter).toBe('1');
      expect(a.msg).toMatch(/^HSM unavailable: the HSM (queue is full|did not answer before the deadline)$/);
    }
    // Only the sessions and their (bounded) replacements reached the token; beyond the queue bound
    // requests were refused at once.
    const held = (await fault.calls('C_Sign:hold')).length;
    expect(held).toBeGreaterThanOrEqual(SESSIONS);
    expect(held).toBeLessThanOrEqual(2 * SESSIONS);
    const stats = hsm.stats();
    expect(stats.queueFull).toBeGreaterThan(0);
    expect(stats.timeouts).toBeGreaterThan(0);
    expect(stats.replaced).toBe(SESSIONS);
    expect(answers.some((a) => a.msg.endsWith('queue is full'))).toBe(true);

    // The partition ends: the held calls finish on the token, and their signatures are discarded.
    await fault.release();
    await fault.clear();
    for (let i = 0; i < 400 && hsm.stats().setAside > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(hsm.stats().setAside).toBe(0);
    expect((await fault.calls('C_Sign')).length).toBe(held);
    for (const key of keys) {
      for (const c of KINDS) {
        expect(await store.get({ chainId: 'NetXdQprcVkpaWU', pkh: key.pkh, kind: c.kind })).toBeNull();
      }
    }

    // Signing resumes, at a height the unanswered requests never claimed, and each signature verifies.
    for (const key of keys) {
      for (const c of KINDS) {
        const hex = consensus(c.magic, c.tag, 10, 0);
        const r = await post(key.pkh, hex);
        expect(r.status).toBe(200);
        const { signature } = (await r.json()) as { signature: string };
        const raw = decodeSignature(signature).bytes;
        expect(verifySignature(key.hsmKey, blake2b256(bytes(hex)), raw)).toBe(true);
        const mark = await store.get({ chainId: 'NetXdQprcVkpaWU', pkh: key.pkh, kind: c.kind });
        expect(mark).toMatchObject({ level: 10, round: 0, signature });
      }
    }
  });
});
