// The addon in two Node environments at once (a worker_thread and the main thread): each keeps its own
// error class and pool class, both sign, and the main thread goes on signing after the worker is gone.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hsm, type HsmKey, listSlots, Pkcs11Error } from '../src/hsm/index.js';
import { CKM_ECDSA } from '../src/hsm/native.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { verifySignature } from './helpers/verify.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NODE_GYP_BUILD = createRequire(import.meta.url).resolve('node-gyp-build');

// The worker loads the addon as src/hsm/native.ts does, with an error class of its own, signs once,
// answers, then keeps its pool open until it is terminated.
const WORKER = `
const { parentPort, workerData: w } = require('node:worker_threads');
const addon = require(w.nodeGypBuild)(w.root);
class WorkerError extends Error {
  constructor(message, details) { super(message); Object.assign(this, details); }
}
addon.setErrorClass(WorkerError);
(async () => {
  const pool = await addon.open({ library: w.library, selector: 'label', value: w.label, pin: w.pin,
    sessions: 1, signAhead: false, verifySignatures: true, maxQueue: 16, verifyTables: 64, timeoutMs: 0 });
  const key = (await pool.keys()).find((k) => k.curve === 'p256');
  const signature = await pool.sign(key.ref, w.mechanism, w.digest, 0);
  const err = await addon.listSlots('/nonexistent/libpkcs11.so').catch((e) => e);
  parentPort.postMessage({ label: key.label, signature, ownErrorClass: err instanceof WorkerError, code: err.code });
})().catch((e) => parentPort.postMessage({ failed: String(e) }));
`;

let token: TestToken;
let hsm: Hsm;
let key: HsmKey;

beforeAll(async () => {
  token = await createToken({ label: 'worker-threads' });
  Object.assign(process.env, token.env);
  hsm = await Hsm.open({ library: token.library, tokenLabel: token.tokenLabel, pin: token.pin, sessions: 1 });
  key = (await hsm.keys()).find((k) => k.curve === 'p256')!;
});

afterAll(async () => {
  await hsm?.close();
  await token?.cleanup();
});

async function signAndVerify(): Promise<void> {
  const digest = randomBytes(32);
  expect(verifySignature(key, digest, await hsm.sign(key, digest))).toBe(true);
}

describe('the addon in a worker_thread and the main thread', () => {
  it('signs in both, and in the main thread after the worker is terminated', async () => {
    const digest = randomBytes(32);
    const worker = new Worker(WORKER, {
      eval: true,
      env: process.env,
      workerData: {
        nodeGypBuild: NODE_GYP_BUILD,
        root: ROOT,
        library: token.library,
        label: token.tokenLabel,
        pin: token.pin,
        mechanism: CKM_ECDSA,
        digest,
      },
    });
    try {
      const answer = new Promise<Record<string, unknown>>((res, rej) => {
        worker.once('message', res);
        worker.once('error', rej);
      });
      // Signing in the main thread while the worker opens, lists and signs.
      await Promise.all([signAndVerify(), signAndVerify()]);
      const got = await answer;
      expect(got.failed).toBeUndefined();
      expect(got).toMatchObject({ label: key.label, ownErrorClass: true, code: 'ERR_HSM_LOAD' });
      expect(verifySignature(key, digest, got.signature as Uint8Array)).toBe(true);
    } finally {
      await worker.terminate();
    }
    await signAndVerify();
    // The main thread's error class is still its own once the worker's environment is gone.
    const err = await listSlots('/nonexistent/libpkcs11.so').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Pkcs11Error);
    expect(err).toMatchObject({ code: 'ERR_HSM_LOAD' });
    const again = await Hsm.open({ library: token.library, tokenLabel: token.tokenLabel, pin: token.pin });
    try {
      const [k] = await again.keys();
      const d = randomBytes(32);
      expect(verifySignature(k!, d, await again.sign(k!, d))).toBe(true);
    } finally {
      await again.close();
    }
  });
});
