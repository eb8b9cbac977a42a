// Chain-head threshold against a stub node RPC: a tiny node:http server speaking the three
// routes the monitor uses, with a chunked /monitor/heads/main stream the test drives by hand.

import { afterEach, describe, expect, it } from 'vitest';
import { ChainHeadGuard } from '../src/chain/head-guard.js';
import { HeadMonitor } from '../src/chain/head-monitor.js';
import { JsonStreamSplitter } from '../src/chain/json-stream.js';
import { headJson as header, STUB_CHAIN, stubNode } from './helpers/stub-node.js';

const MAINNET = STUB_CHAIN;

async function until(mon: HeadMonitor, pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pred()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(mon.state())}`);
    await Promise.race([mon.changed(), new Promise((r) => setTimeout(r, 50))]);
  }
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('JsonStreamSplitter', () => {
  it('joins values split across chunks and splits several values in one chunk', () => {
    const s = new JsonStreamSplitter();
    const text = header(1) + '\n' + header(2) + header(3) + '\r\n';
    const a = s.push(text.slice(0, 20));
    const b = s.push(text.slice(20, 70));
    const c = s.push(text.slice(70));
    expect(a).toEqual([]);
    expect([...a, ...b, ...c].map((v) => (v as { level: number }).level)).toEqual([1, 2, 3]);
  });

  it('does not count braces inside strings', () => {
    const s = new JsonStreamSplitter();
    expect(s.push('{"a":"}{\\"}","level":7}')).toEqual([{ a: '}{"}', level: 7 }]);
  });

  it('rejects garbage between values and oversized values', () => {
    expect(() => new JsonStreamSplitter().push('{"level":1} x')).toThrow(/unexpected 'x'/);
    expect(() => new JsonStreamSplitter(16).push('{"level":1, "pad":"' + 'a'.repeat(64))).toThrow(
      /too large/,
    );
  });
});

describe('HeadMonitor', () => {
  it('follows the streamed heads', async () => {
    const node = await stubNode();
    cleanup.push(() => node.close());
    const mon = new HeadMonitor({ rpc: node.url + '/', pollIntervalMs: 50 });
    cleanup.push(() => mon.stop());
    mon.start();
    await until(mon, () => node.streams.length === 1 && mon.state().source === 'stream', 'stream open');
    const [stream] = node.streams;
    // One head split over two chunks, then two heads in one chunk.
    const h = header(4242);
    stream!.write(h.slice(0, 10));
    stream!.write(h.slice(10) + '\n');
    await until(mon, () => mon.state().level === 4242, 'level 4242');
    stream!.write(header(4243) + header(4244));
    await until(mon, () => mon.state().level === 4244, 'level 4244');
    const st = mon.state();
    expect(st).toMatchObject({ level: 4244, chainId: MAINNET, reachable: true, source: 'stream' });
    // One header poll at stream start for the current head, none afterwards.
    expect(node.hits.filter((u) => u === '/chains/main/blocks/head/header').length).toBeLessThanOrEqual(1);
  });

  it('falls back to polling the head header when the stream is unavailable', async () => {
    const node = await stubNode();
    cleanup.push(() => node.close());
    node.streamEnabled = false;
    node.headLevel = 777;
    const mon = new HeadMonitor({ rpc: node.url, pollIntervalMs: 30, reconnectMs: 60_000 });
    cleanup.push(() => mon.stop());
    mon.start();
    await until(mon, () => mon.state().level === 777, 'polled level');
    expect(mon.state()).toMatchObject({ source: 'poll', reachable: true, chainId: MAINNET });
    expect(mon.state().lastError).toMatch(/monitor\/heads\/main: HTTP 404/);
    node.headLevel = 778;
    await until(mon, () => mon.state().level === 778, 'next polled level');
  });

  it('switches to polling when the node closes the stream, and reopens it later', async () => {
    const node = await stubNode();
    cleanup.push(() => node.close());
    node.headLevel = 50;
    const mon = new HeadMonitor({ rpc: node.url, pollIntervalMs: 30, reconnectMs: 200 });
    cleanup.push(() => mon.stop());
    mon.start();
    await until(mon, () => mon.state().source === 'stream', 'stream');
    node.streams[0]!.end();
    await until(mon, () => mon.state().source === 'poll' && mon.state().level === 50, 'poll after close');
    await until(mon, () => node.streams.length >= 2 && mon.state().source === 'stream', 'stream reopened');
    node.streams.at(-1)!.write(header(51));
    await until(mon, () => mon.state().level === 51, 'level from the new stream');
  });

  it('reopens a stream that stays silent', async () => {
    const node = await stubNode();
    cleanup.push(() => node.close());
    const mon = new HeadMonitor({ rpc: node.url, pollIntervalMs: 30, staleAfterMs: 150, reconnectMs: 100 });
    cleanup.push(() => mon.stop());
    mon.start();
    await until(mon, () => mon.state().lastError === 'head stream silent', 'silence detected');
    // Polling keeps the head known meanwhile.
    await until(mon, () => mon.state().source === 'poll' && mon.state().level === 100, 'polled head');
  });

  it('reports an unreachable node', async () => {
    const node = await stubNode();
    const url = node.url;
    await node.close();
    const mon = new HeadMonitor({ rpc: url, pollIntervalMs: 30, requestTimeoutMs: 500 });
    cleanup.push(() => mon.stop());
    mon.start();
    await until(mon, () => mon.state().lastError !== null, 'an error');
    expect(mon.state()).toMatchObject({ reachable: false, level: null, source: 'none' });
    expect(mon.state().lastError).toMatch(/fetch failed|ECONNREFUSED/);
  });

  it('refuses a node answer without a level', async () => {
    const node = await stubNode();
    cleanup.push(() => node.close());
    const mon = new HeadMonitor({ rpc: node.url, pollIntervalMs: 30 });
    cleanup.push(() => mon.stop());
    mon.start();
    await until(mon, () => mon.state().source === 'stream' && mon.state().level === 100, 'stream');
    node.streams[0]!.write('{"level":"12"}');
    await until(mon, () => mon.state().lastError === 'node answer has no valid "level"', 'level error');
    expect(mon.state().level).toBe(100); // the bad value was not taken
  });
});

describe('ChainHeadGuard', () => {
  it('refuses levels too far above or below the head, with the head level in the message', async () => {
    const node = await stubNode();
    cleanup.push(() => node.close());
    node.streamEnabled = false;
    node.headLevel = 1000;
    const guard = new ChainHeadGuard({
      rpc: node.url,
      pollIntervalMs: 30,
      maxLevelAhead: 2,
      maxLevelBehind: 3,
      failOpen: false,
    });
    cleanup.push(() => guard.stop());
    guard.start();
    await until(guard.monitor, () => guard.state().level === 1000, 'head');
    expect(guard.check({ chainId: MAINNET, level: 1001 })).toEqual({ ok: true });
    expect(guard.check({ chainId: MAINNET, level: 1002 })).toEqual({ ok: true });
    expect(guard.check({ chainId: MAINNET, level: 997 })).toEqual({ ok: true });
    const ahead = guard.check({ chainId: MAINNET, level: 1003 });
    expect(ahead).toEqual({
      ok: false,
      refusal: 'out-of-range',
      reason: expect.stringContaining('above the chain head 1000'),
    });
    const behind = guard.check({ chainId: MAINNET, level: 996 });
    expect(behind).toEqual({
      ok: false,
      refusal: 'out-of-range',
      reason: expect.stringContaining('below the chain head 1000'),
    });
    const other = guard.check({ chainId: 'NetXnHfVqm9iesp', level: 1000 });
    expect(other).toMatchObject({
      ok: false,
      refusal: 'out-of-range',
      reason: expect.stringContaining('node follows'),
    });
  });

  it('fails closed (head unknown: 503) by default and open when configured, when the node is down', async () => {
    const node = await stubNode();
    const url = node.url;
    await node.close();
    const mk = (failOpen: boolean) =>
      new ChainHeadGuard({ rpc: url, pollIntervalMs: 30, maxLevelAhead: 1, maxLevelBehind: 1, failOpen });
    const closed = mk(false);
    const open = mk(true);
    cleanup.push(
      () => closed.stop(),
      () => open.stop(),
    );
    closed.start();
    open.start();
    await until(closed.monitor, () => closed.state().lastError !== null, 'error');
    const v = closed.check({ chainId: MAINNET, level: 5 });
    expect(v).toMatchObject({
      ok: false,
      refusal: 'head-unknown',
      reason: expect.stringContaining('node unreachable'),
    });
    expect(open.check({ chainId: MAINNET, level: 5 })).toEqual({ ok: true });
  });

  it('turns unreachable once contact is stale, although a level is known', async () => {
    const node = await stubNode();
    node.streamEnabled = false;
    const guard = new ChainHeadGuard({
      rpc: node.url,
      pollIntervalMs: 30,
      staleAfterMs: 10_000,
      maxLevelAhead: 1,
      maxLevelBehind: 1,
      failOpen: false,
    });
    cleanup.push(() => guard.stop());
    guard.start();
    await until(guard.monitor, () => guard.state().reachable, 'reachable');
    node.headerEnabled = false; // the node now answers 404 to the header
    await until(guard.monitor, () => !guard.state().reachable, 'unreachable');
    expect(guard.state().level).toBe(100);
    expect(guard.check({ chainId: MAINNET, level: 100 })).toMatchObject({
      ok: false,
      refusal: 'head-unknown',
    });
    expect(guard.monitor.state(Date.now() + 60_000).reachable).toBe(false);
    await node.close();
  });
});
