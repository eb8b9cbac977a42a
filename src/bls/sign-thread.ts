// The tz4 keys as the signer uses them: their secrets moved into one worker thread (sign-worker.ts) so BLS
// arithmetic never blocks the event loop (even blst's signature is longer than the loop may stall;
// docs/performance.md). Requests are answered in order; the thread is unref'd and wiped + terminated by
// close().
import { Worker } from 'node:worker_threads';
import type { BlsKey } from './bls-key.js';
import type { WorkerOptions, WorkerReply, WorkerRequest } from './sign-worker.js';

/** What the signer needs from a tz4 key (BlsKey itself satisfies it, synchronously). */
export interface BlsSigning {
  readonly pkh: string;
  readonly publicKey: string;
  readonly label: string;
  sign(msg: Uint8Array): string | Promise<string>;
  provePossession(overridePk?: Uint8Array): string | Promise<string>;
}

/** The signing thread is gone (crashed or closed): no tz4 signature until restart (503). */
export class BlsThreadError extends Error {
  override readonly name = 'BlsThreadError';
}

type Pending = { resolve: (v: string) => void; reject: (e: Error) => void };
type Body = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class BlsSignThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  #dead: Error | null = null;
  #backend = '';

  private constructor(options: WorkerOptions) {
    // Under tsx (tests, benches) the .js URL resolves to the .ts source; from dist/ it is the .js.
    this.#worker = new Worker(new URL('./sign-worker.js', import.meta.url), { workerData: options });
    this.#worker.unref();
    this.#worker.on('message', (r: WorkerReply) => {
      const p = this.#pending.get(r.id);
      if (p === undefined) return;
      this.#pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(new Error(r.error));
    });
    const fail = (err: Error) => {
      this.#dead = err;
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    this.#worker.on('error', (err) => fail(new BlsThreadError(`tz4 signing thread failed: ${err.message}`)));
    this.#worker.on('exit', (code) => fail(new BlsThreadError(`tz4 signing thread exited (${code})`)));
  }

  /**
   * Starts the thread and moves each key's secret into it (the given BlsKeys are wiped). It signs with
   * @chainsafe/blst when that loads and passes its self-test, else (or with `native: false`) @noble/curves.
   */
  static async start(
    keys: readonly BlsKey[],
    options: WorkerOptions = { native: true },
  ): Promise<{ thread: BlsSignThread; keys: BlsSigning[] }> {
    const thread = new BlsSignThread(options);
    try {
      thread.#backend = await thread.#call({ op: 'backend' });
      const out: BlsSigning[] = [];
      for (const key of keys) out.push(await thread.#adopt(key));
      return { thread, keys: out };
    } catch (err) {
      await thread.close();
      throw err;
    }
  }

  async #adopt(key: BlsKey): Promise<BlsSigning> {
    const { pkh, publicKey, label } = key;
    const secretLe = key.moveSecret();
    // Transferred, not copied: no second plaintext copy stays on this thread.
    const got = await this.#call({ op: 'add', secretLe, label }, [secretLe.buffer as ArrayBuffer]);
    if (got !== pkh) throw new Error(`tz4 signing thread derived ${got} instead of ${pkh}`);
    return {
      pkh,
      publicKey,
      label,
      sign: (msg) => this.#call({ op: 'sign', pkh, msg }),
      provePossession: (pk) => this.#call({ op: 'pop', pkh, pk: pk ?? null }),
    };
  }

  #call(body: Body, transfer: ArrayBuffer[] = []): Promise<string> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...body, id } as WorkerRequest, transfer);
    });
  }

  /** `blst`, or `noble (why)` when @chainsafe/blst is unavailable or disabled (native-bls.ts). */
  get backend(): string {
    return this.#backend;
  }

  /** Zeroes every secret in the thread, then stops it. */
  async close(): Promise<void> {
    if (!this.#dead) {
      try {
        await this.#call({ op: 'wipe' });
      } finally {
        await this.#worker.terminate();
      }
    }
  }
}
