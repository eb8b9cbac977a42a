// The peer: a Tezos remote signer written the way a TypeScript developer would with the established
// binding, pkcs11js (async C_Sign on libuv's thread pool), Hono on @hono/node-server and an in-memory
// watermark. Deliberately independent of src/: it shares no code with the product it is compared to.
// Sessions: a small pool (BASELINE_SESSIONS, default 2 = the product's `hsm.sessions` in the bench), one
// session lent to each in-flight signature, waiters queued FIFO — the usual pkcs11js pattern, since a
// session must not run two operations at once. It signs consensus requests only (0x11, 0x12, 0x13).
// Runs under Node's own type stripping: `node bench/baseline/server.ts`
// Env: BASELINE_LIBRARY, BASELINE_TOKEN (label), HSM_PIN, BASELINE_SESSIONS, SOFTHSM2_CONF.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { blake2b } from '@noble/hashes/blake2.js';
import bs58check from 'bs58check';
import { Hono } from 'hono';
import pkcs11js from 'pkcs11js';

type Curve = 'ed25519' | 'secp256k1' | 'p256';
interface Key {
  curve: Curve;
  handle: pkcs11js.Handle;
  publicKey: string;
}

// Base58check prefixes (octez src/lib_crypto/base58.ml) and curve orders (SEC 2), written out here on
// purpose: the baseline shares no code with src/.
const PREFIX: Record<Curve, { pkh: number[]; pk: number[]; sig: number[] }> = {
  ed25519: { pkh: [6, 161, 159], pk: [13, 15, 37, 217], sig: [9, 245, 205, 134, 18] },
  secp256k1: { pkh: [6, 161, 161], pk: [3, 254, 226, 86], sig: [13, 115, 101, 19, 63] },
  p256: { pkh: [6, 161, 164], pk: [3, 178, 139, 127], sig: [54, 240, 44, 52] },
};
const CURVE_OF_PARAMS: Record<string, Curve> = {
  '06082a8648ce3d030107': 'p256',
  '06052b8104000a': 'secp256k1',
  '06032b6570': 'ed25519',
  '130c656477617264733235353139': 'ed25519',
};
const ORDER: Record<Curve, bigint> = {
  ed25519: 0n,
  secp256k1: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
  p256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
};
const CKM_ECDSA = 0x1041;
const CKM_EDDSA = 0x1057;

const b58 = (prefix: number[], payload: Uint8Array) =>
  bs58check.encode(Buffer.concat([Buffer.from(prefix), payload]));

// --- PKCS#11: load, log in, open the pool, list keys ------------------------------------------------
const p11 = new pkcs11js.PKCS11();
p11.load(process.env.BASELINE_LIBRARY ?? '/usr/lib/softhsm/libsofthsm2.so');
p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
const slot = p11
  .C_GetSlotList(true)
  .find((s) => p11.C_GetTokenInfo(s).label.trim() === process.env.BASELINE_TOKEN);
if (!slot) throw new Error(`token ${process.env.BASELINE_TOKEN} not found`);
const sessions = Array.from({ length: Number(process.env.BASELINE_SESSIONS ?? 2) }, () =>
  p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION),
);
p11.C_Login(sessions[0]!, pkcs11js.CKU_USER, process.env.HSM_PIN ?? '');

function find(template: pkcs11js.Template): pkcs11js.Handle[] {
  const s = sessions[0]!;
  p11.C_FindObjectsInit(s, template);
  const found = p11.C_FindObjects(s, 100_000);
  p11.C_FindObjectsFinal(s);
  return found;
}

/** Compressed public key bytes from CKA_EC_POINT (DER OCTET STRING around 04‖X‖Y, or a raw Ed25519 key). */
function compressed(curve: Curve, point: Buffer): Buffer {
  const raw = point[0] === 0x04 && point[1] === point.length - 2 ? point.subarray(2) : point;
  if (curve === 'ed25519') return raw;
  const y = raw.subarray(33, 65);
  return Buffer.concat([Buffer.from([y[31]! & 1 ? 3 : 2]), raw.subarray(1, 33)]);
}

const keys = new Map<string, Key>();
for (const handle of find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }])) {
  const [id, params] = p11.C_GetAttributeValue(sessions[0]!, handle, [
    { type: pkcs11js.CKA_ID },
    { type: pkcs11js.CKA_EC_PARAMS },
  ]);
  const curve = CURVE_OF_PARAMS[(params!.value as Buffer).toString('hex')];
  const pub = find([
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
    { type: pkcs11js.CKA_ID, value: id!.value as Buffer },
  ])[0];
  if (!curve || !pub) continue;
  const point = p11.C_GetAttributeValue(sessions[0]!, pub, [{ type: pkcs11js.CKA_EC_POINT }])[0]!;
  const pk = compressed(curve, point.value as Buffer);
  keys.set(b58(PREFIX[curve].pkh, blake2b(pk, { dkLen: 20 })), {
    curve,
    handle,
    publicKey: b58(PREFIX[curve].pk, pk),
  });
}

const free = [...sessions];
const waiting: Array<(s: pkcs11js.Handle) => void> = [];
async function withSession<T>(work: (s: pkcs11js.Handle) => Promise<T>): Promise<T> {
  const s = free.pop() ?? (await new Promise<pkcs11js.Handle>((resolve) => waiting.push(resolve)));
  try {
    return await work(s);
  } finally {
    const next = waiting.shift();
    if (next) next(s);
    else free.push(s);
  }
}

async function sign(key: Key, digest: Uint8Array): Promise<string> {
  const raw = await withSession((s) => {
    p11.C_SignInit(s, { mechanism: key.curve === 'ed25519' ? CKM_EDDSA : CKM_ECDSA }, key.handle);
    return p11.C_SignAsync(s, Buffer.from(digest), Buffer.alloc(64));
  });
  if (key.curve !== 'ed25519') {
    // octez rejects high-S secp256k1 signatures (src/lib_crypto/secp256k1.ml); P-256 is normalised alike.
    const n = ORDER[key.curve];
    const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
    if (s > n / 2n) raw.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
  }
  return b58(PREFIX[key.curve].sig, raw);
}

// --- Requests and the watermark ----------------------------------------------------------------------
/** Chain, level and round of a consensus request (docs/protocol.md), or null for anything else. */
function consensusPosition(msg: Buffer): { chain: string; level: number; round: number } | null {
  const chain = msg.subarray(1, 5).toString('hex');
  if (msg[0] === 0x11 && msg.length >= 87) {
    const fitnessEnd = 87 + msg.readUInt32BE(83);
    if (msg.length < fitnessEnd) return null;
    return { chain, level: msg.readInt32BE(5), round: msg.readInt32BE(fitnessEnd - 4) };
  }
  if ((msg[0] === 0x12 || msg[0] === 0x13) && msg.length >= 46) {
    const bls = msg[37] === 40 || msg[37] === 41;
    return { chain, level: msg.readInt32BE(bls ? 38 : 40), round: msg.readInt32BE(bls ? 42 : 44) };
  }
  return null;
}

const marks = new Map<string, { level: number; round: number; hash: string; signature: Promise<string> }>();
const failure = (msg: string) => [{ kind: 'temporary', id: 'failure', msg }];

const app = new Hono();
app.get('/authorized_keys', (c) => c.json({}));
app.get('/keys/:pkh', (c) => {
  const key = keys.get(c.req.param('pkh'));
  return key ? c.json({ public_key: key.publicKey }) : c.json(failure('unknown key'), 404);
});
app.post('/keys/:pkh', async (c) => {
  const pkh = c.req.param('pkh');
  const key = keys.get(pkh);
  if (!key) return c.json(failure('unknown key'), 404);
  const hex: unknown = await c.req.json().catch(() => null);
  if (typeof hex !== 'string' || !/^([0-9a-f]{2})+$/i.test(hex)) return c.json(failure('bad body'), 400);
  const msg = Buffer.from(hex, 'hex');
  const at = consensusPosition(msg);
  if (!at) return c.json(failure('only consensus operations are signed'), 403);
  const digest = blake2b(msg, { dkLen: 32 });
  const hash = Buffer.from(digest).toString('hex');
  const slotKey = `${pkh}/${at.chain}/${msg[0]}`;
  const mark = marks.get(slotKey);
  if (mark && !(at.level > mark.level || (at.level === mark.level && at.round > mark.round))) {
    if (at.level === mark.level && at.round === mark.round && hash === mark.hash)
      return c.json({ signature: await mark.signature });
    return c.json(failure('level/round below the high watermark'), 409);
  }
  // The mark moves before the HSM call so a concurrent request at the same height cannot sign too.
  const signature = sign(key, digest);
  marks.set(slotKey, { ...at, hash, signature });
  try {
    return c.json({ signature: await signature });
  } catch (err) {
    if (marks.get(slotKey)?.signature === signature) marks.delete(slotKey);
    return c.json(failure(`signing failed: ${(err as Error).message}`), 503);
  }
});

const server = serve(
  { fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT ?? 0) },
  (info: AddressInfo) => {
    process.stdout.write(`listening on http://127.0.0.1:${info.port} keys: ${[...keys.keys()].join(' ')}\n`);
  },
);
process.once('SIGTERM', () =>
  server.close(() => {
    p11.C_Finalize();
    process.exit(0);
  }),
);
