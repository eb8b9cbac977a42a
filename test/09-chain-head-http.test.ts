// The chain-head threshold through the real server process: a stub node RPC streams heads,
// the signer refuses blocks and attestations too far from the head (403, head level in the message),
// and with the node gone answers 503 (fail closed, the default) or signs (fail open); readiness and
// metrics show the node's state.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSign as post } from './helpers/http.js';
import { type OpsSigner, type OpsToken, opsConfig, opsToken, startOpsSigner } from './helpers/ops-signer.js';
import { type StubNode, stubNode } from './helpers/stub-node.js';
import { blockWith, consensus } from './helpers/tezos-vectors.js';

let t: OpsToken;
let node: StubNode;
let closed: OpsSigner;
let open: OpsSigner;

const nodeYaml = (rpc: string, failOpen: boolean) =>
  `node:\n  rpc: ${rpc}\n  max_level_ahead: 2\n  max_level_behind: 3\n  fail_open: ${failOpen}\n`;

async function eventually<T>(f: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await f();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  t = await opsToken();
  node = await stubNode();
  node.headLevel = 1000;
  const server = '  utility_address: 127.0.0.1:0\n';
  closed = await startOpsSigner(opsConfig(t, 'head-closed.yaml', server, nodeYaml(node.url, false)));
  open = await startOpsSigner(opsConfig(t, 'head-open.yaml', server, nodeYaml(node.url, true)));
});

afterAll(async () => {
  expect(await closed?.stop()).toBe(0);
  expect(await open?.stop()).toBe(0);
  await node?.close().catch(() => {});
});

describe('chain-head threshold', () => {
  it('signs within the window and refuses outside it with the head level in the message', async () => {
    expect(
      (await post(closed.url, t.pkhs.tz3, blockWith({ level: 1001, round: 0, payloadRound: 0 }))).status,
    ).toBe(200);
    const ahead = await post(closed.url, t.pkhs.tz3, blockWith({ level: 1003, round: 0, payloadRound: 0 }));
    expect(ahead.status).toBe(403);
    expect(ahead.body).toEqual([
      { kind: 'temporary', id: 'failure', msg: 'level 1003 is more than 2 above the chain head 1000' },
    ]);
    const behind = await post(closed.url, t.pkhs.tz3, consensus(0x13, 21, 996, 0));
    expect(behind.status).toBe(403);
    expect(JSON.stringify(behind.body)).toContain('below the chain head 1000');
    expect((await post(closed.url, t.pkhs.tz3, consensus(0x13, 21, 997, 0))).status).toBe(200);
  });

  it('follows new heads from the stream', async () => {
    await eventually(
      async () => node.streams.length,
      (n) => n >= 2,
      'both signers streaming',
    );
    node.push(1010);
    await eventually(
      async () => (await post(closed.url, t.pkhs.tz2, consensus(0x12, 20, 1012, 0))).status,
      (s) => s === 200,
      'preattestation at 1012 accepted',
    );
  });

  it('shows the head in readiness and metrics', async () => {
    const ready = await fetch(`${closed.utilityUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { hsm: 'ok', watermark: 'ok', node: 'ok', keys: 'ok' },
    });
    const metrics = await (await fetch(`${closed.utilityUrl}/metrics`)).text();
    expect(metrics).toContain('tezos_signer_chain_head_level 1010');
    expect(metrics).toContain('tezos_signer_node_reachable 1');
    expect(metrics).toMatch(
      /tezos_signer_requests_total\{pkh="[^"]+",kind="block",outcome="head_refused"\} 1/,
    );
  });

  it('fails closed (503, Retry-After) when the node goes away, or signs when configured to fail open', async () => {
    await node.close();
    const refused = await eventually(
      () => post(closed.url, t.pkhs.tz1, blockWith({ level: 1011, round: 0, payloadRound: 0 })),
      (r) => r.status !== 200,
      'fail closed',
    );
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('1');
    expect(JSON.stringify(refused.body)).toContain('chain head unknown, node unreachable');
    const ready = await fetch(`${closed.utilityUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      status: 'not ready',
      checks: { node: expect.stringContaining('node unreachable') },
    });
    expect(await (await fetch(`${closed.utilityUrl}/metrics`)).text()).toContain(
      'tezos_signer_node_reachable 0',
    );

    const signed = await post(open.url, t.pkhs.tz1, blockWith({ level: 1011, round: 0, payloadRound: 0 }));
    expect(signed.status).toBe(200);
    expect((await fetch(`${open.utilityUrl}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${open.utilityUrl}/metrics`)).text()).toContain(
      'tezos_signer_node_reachable 0',
    );
  });
});
