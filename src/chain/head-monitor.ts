// Follows the node's head level for the chain-head threshold (head-check.ts; the original Python HSM
// signer had the same guard).
// Primary source: the streaming RPC GET /monitor/heads/main (octez lib_shell_services/monitor_services.ml),
// one block header JSON per new head. Fallback while the stream is down: polling
// GET /chains/main/blocks/head/header. The chain id comes from GET /chains/main/chain_id.

import { JsonStreamSplitter } from './json-stream.js';

export interface HeadMonitorOptions {
  /** Base URL of the node RPC, e.g. http://127.0.0.1:8732 */
  rpc: string;
  /** Polling period while the stream is down. */
  pollIntervalMs?: number;
  /** Contact older than this means the node is unreachable; a stream silent this long is reopened. */
  staleAfterMs?: number;
  /** How long to poll before trying the stream again. */
  reconnectMs?: number;
  /** Timeout of one poll / connection attempt. */
  requestTimeoutMs?: number;
}

export interface HeadState {
  level: number | null;
  chainId: string | null;
  reachable: boolean;
  source: 'stream' | 'poll' | 'none';
  /** ms since the epoch of the last good answer from the node. */
  lastContact: number | null;
  lastError: string | null;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

function levelOf(value: unknown): number {
  const level = (value as { level?: unknown } | null)?.level;
  if (typeof level !== 'number' || !Number.isSafeInteger(level) || level < 0) {
    throw new Error('node answer has no valid "level"');
  }
  return level;
}

export class HeadMonitor {
  private readonly rpc: string;
  private readonly pollIntervalMs: number;
  private readonly staleAfterMs: number;
  private readonly reconnectMs: number;
  private readonly requestTimeoutMs: number;
  private readonly stopper = new AbortController();
  private running: Promise<void> | null = null;
  private level: number | null = null;
  private chainId: string | null = null;
  private streamOpen = false;
  private lastPollOk = false;
  private lastContact: number | null = null;
  private lastError: string | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(opts: HeadMonitorOptions) {
    this.rpc = opts.rpc.replace(/\/+$/, '');
    this.pollIntervalMs = opts.pollIntervalMs ?? 2_000;
    this.staleAfterMs = opts.staleAfterMs ?? 30_000;
    this.reconnectMs = opts.reconnectMs ?? 10_000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5_000;
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
  }

  state(now = Date.now()): HeadState {
    const fresh = this.lastContact !== null && now - this.lastContact <= this.staleAfterMs;
    return {
      level: this.level,
      chainId: this.chainId,
      reachable: fresh && (this.streamOpen || this.lastPollOk),
      source: this.streamOpen ? 'stream' : this.lastPollOk ? 'poll' : 'none',
      lastContact: this.lastContact,
      lastError: this.lastError,
    };
  }

  /** Resolves at the next state change (a head, a contact or an error); for start-up and tests. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  private notify(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  private contact(level?: number): void {
    this.lastContact = Date.now();
    if (level !== undefined) this.level = level;
    this.notify();
  }

  private fail(err: unknown): void {
    this.lastError = err instanceof Error ? err.message : String(err);
    this.notify();
  }

  private async loop(): Promise<void> {
    const stop = this.stopper.signal;
    while (!stop.aborted) {
      try {
        await this.follow();
      } catch (err) {
        if (!stop.aborted) this.fail(err);
      }
      this.streamOpen = false;
      this.notify();
      // Stream down: poll until it is time to try the stream again.
      const until = Date.now() + this.reconnectMs;
      while (!stop.aborted && Date.now() < until) {
        await this.poll();
        await sleep(this.pollIntervalMs, stop);
      }
    }
  }

  private timeoutSignal(): AbortSignal {
    return AbortSignal.any([this.stopper.signal, AbortSignal.timeout(this.requestTimeoutMs)]);
  }

  private async getJson(path: string): Promise<unknown> {
    const res = await fetch(this.rpc + path, { signal: this.timeoutSignal() });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`GET ${path}: HTTP ${res.status}`);
    }
    return res.json();
  }

  private async fetchChainId(): Promise<void> {
    if (this.chainId !== null) return;
    const id = await this.getJson('/chains/main/chain_id');
    if (typeof id !== 'string') throw new Error('GET /chains/main/chain_id: not a string');
    this.chainId = id;
  }

  private async poll(): Promise<void> {
    try {
      await this.fetchChainId();
      const header = await this.getJson('/chains/main/blocks/head/header');
      const level = levelOf(header);
      this.lastPollOk = true;
      this.contact(level);
    } catch (err) {
      this.lastPollOk = false;
      if (!this.stopper.signal.aborted) this.fail(err);
    }
  }

  /** Reads the stream until it ends, fails, or stays silent for staleAfterMs. */
  private async follow(): Promise<void> {
    await this.fetchChainId();
    const ctl = new AbortController();
    const signal = AbortSignal.any([this.stopper.signal, ctl.signal]);
    let idle = setTimeout(() => ctl.abort(new Error('connect timeout')), this.requestTimeoutMs);
    const rearm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => ctl.abort(new Error('head stream silent')), this.staleAfterMs);
    };
    try {
      const res = await fetch(this.rpc + '/monitor/heads/main', { signal });
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        throw new Error(`GET /monitor/heads/main: HTTP ${res.status}`);
      }
      this.streamOpen = true;
      this.contact();
      rearm();
      // The stream may only speak at the next block: learn the current head now.
      if (this.level === null) void this.poll();
      const splitter = new JsonStreamSplitter();
      const decoder = new TextDecoder();
      for await (const chunk of res.body) {
        const values = splitter.push(decoder.decode(chunk, { stream: true }));
        for (const v of values) {
          this.contact(levelOf(v));
          rearm();
        }
      }
      throw new Error('head stream closed by the node');
    } catch (err) {
      // Report why the idle timer fired rather than a bare AbortError.
      if (ctl.signal.aborted && !this.stopper.signal.aborted) throw ctl.signal.reason;
      throw err;
    } finally {
      clearTimeout(idle);
      this.streamOpen = false;
    }
  }
}
