// Worker thread that holds unsealed tz4 secrets and does the BLS arithmetic (slower than any other
// step of a request: docs/performance.md, bench/tz4.ts) off the JS thread that serves HTTP and completes HSM
// signatures. Protocol: see sign-thread.ts, the only user.
import { parentPort, workerData } from 'node:worker_threads';
import { BlsKey } from './bls-key.js';
import { type NativeLoad, nativeBls } from './native-bls.js';

export type WorkerRequest =
  | { id: number; op: 'add'; secretLe: Uint8Array; label: string }
  | { id: number; op: 'sign'; pkh: string; msg: Uint8Array }
  | { id: number; op: 'pop'; pkh: string; pk: Uint8Array | null }
  | { id: number; op: 'backend' }
  | { id: number; op: 'wipe' };

/** What sign-thread.ts passes as workerData. */
export type WorkerOptions = { native: boolean };

export type WorkerReply = { id: number; ok: true; value: string } | { id: number; ok: false; error: string };

const keys = new Map<string, BlsKey>();
const native: NativeLoad = (workerData as WorkerOptions).native
  ? nativeBls()
  : { lib: null, error: 'blst disabled' };

function handle(req: WorkerRequest): string {
  switch (req.op) {
    case 'add': {
      const key = new BlsKey(req.secretLe, req.label, native.lib);
      req.secretLe.fill(0);
      keys.set(key.pkh, key);
      return key.pkh;
    }
    case 'sign':
      return keyOf(req.pkh).sign(req.msg);
    case 'pop':
      return keyOf(req.pkh).provePossession(req.pk ?? undefined);
    case 'backend':
      return native.lib !== null ? 'blst' : `noble (${native.error})`;
    case 'wipe':
      for (const k of keys.values()) k.wipe();
      keys.clear();
      return '';
  }
}

function keyOf(pkh: string): BlsKey {
  const k = keys.get(pkh);
  if (k === undefined) throw new Error(`no tz4 key ${pkh} in the signing thread`);
  return k;
}

parentPort!.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = { id: req.id, ok: true, value: handle(req) };
  } catch (err) {
    reply = { id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});
