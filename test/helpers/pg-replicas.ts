// Parent side of test/helpers/pg-replica.ts: spawn signer replicas as child processes and talk to them.

import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PostgresStoreOptions } from '../../src/watermark/postgres-store.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'pg-replica.ts');
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

type Msg = { id?: number; event?: string; [k: string]: unknown };

export class Replica {
  private readonly proc: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, (m: Msg) => void>();
  private readonly eventWaiters: Array<{ match: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];
  private stderr = '';
  readonly exited: Promise<number | string | null>;

  constructor(url: string, secretKeyHex: string, signerId: string, opts: PostgresStoreOptions = {}) {
    this.proc = spawn(
      process.execPath,
      ['--import', 'tsx', SCRIPT, url, secretKeyHex, signerId, JSON.stringify(opts)],
      {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.proc.stderr?.on('data', (d) => {
      this.stderr += d;
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, sig) => resolve(code ?? sig)));
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as Msg;
      if (msg.event) {
        const i = this.eventWaiters.findIndex((w) => w.match(msg));
        if (i >= 0) this.eventWaiters.splice(i, 1)[0]!.resolve(msg);
      } else if (msg.id !== undefined) {
        this.waiting.get(msg.id)?.(msg);
        this.waiting.delete(msg.id);
      }
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Resolves on the first event matching; rejects if the process exits first. */
  event(name: string, id?: number): Promise<Msg> {
    return new Promise((resolve, reject) => {
      this.eventWaiters.push({
        match: (m) => m.event === name && (id === undefined || m.id === id),
        resolve,
      });
      void this.exited.then((code) =>
        reject(new Error(`replica exited (${code}) before '${name}':\n${this.stderr}`)),
      );
    });
  }

  /** Send a command; resolves with the reply carrying the same id. */
  request(cmd: Record<string, unknown>): Promise<Msg> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, resolve);
      void this.exited.then((code) => reject(new Error(`replica exited (${code}):\n${this.stderr}`)));
      this.proc.stdin!.write(`${JSON.stringify({ ...cmd, id })}\n`);
    });
  }

  /** Send a command without waiting for a reply; returns its id. */
  send(cmd: Record<string, unknown>): number {
    const id = this.nextId++;
    this.proc.stdin!.write(`${JSON.stringify({ ...cmd, id })}\n`);
    return id;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | string | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }

  /** Close stdin: the replica closes its store and exits. */
  async close(): Promise<void> {
    this.proc.stdin!.end();
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }
}

/** Start n replicas and wait until each has opened its store. */
export async function startReplicas(
  n: number,
  url: string,
  secretKeyHex: string,
  opts: PostgresStoreOptions = {},
): Promise<Replica[]> {
  const replicas = Array.from({ length: n }, (_, i) => new Replica(url, secretKeyHex, `replica-${i}`, opts));
  await Promise.all(replicas.map((r) => r.event('ready')));
  return replicas;
}
