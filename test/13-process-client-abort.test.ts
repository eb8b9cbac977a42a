// A client that disconnects before its request body is complete is the client's doing, not a server
// bug: its audit line says "aborted" (status 499, never sent), the metric's outcome is `aborted` (not
// `error`, which operators alert on), and nothing is printed on stderr.

import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSign } from './helpers/http.js';
import { type OpsSigner, type OpsToken, opsConfig, opsToken, startOpsSigner } from './helpers/ops-signer.js';
import { consensus } from './helpers/tezos-vectors.js';

let t: OpsToken;
let s: OpsSigner;
let log: string;

beforeAll(async () => {
  t = await opsToken();
  log = join(t.dir, 'abort.log');
  s = await startOpsSigner(
    opsConfig(t, 'abort.yaml', '  utility_address: 127.0.0.1:0\n', `log:\n  file: ${log}\n`),
  );
});
afterAll(async () => {
  expect(await s?.stop()).toBe(0);
});

/** Sends headers and part of the body, then resets the connection. */
async function abortMidBody(path: string, body: string): Promise<void> {
  const { hostname, port } = new URL(s.url);
  const sock = connect(Number(port), hostname);
  await new Promise((r) => sock.once('connect', r));
  sock.write(
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`,
  );
  await new Promise((r) => setTimeout(r, 100));
  sock.resetAndDestroy();
}

const auditLines = () =>
  readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"audit":true'))
    .map((l) => JSON.parse(l));

describe('client abort', () => {
  it('is recorded as aborted in the audit line and the metric, with nothing on stderr', async () => {
    const path = `/keys/${t.pkhs.tz3}`;
    await abortMidBody(path, JSON.stringify(consensus(0x13, 21, 5, 0)));
    // A normal request after it, to know the aborted one has been handled.
    const r = await postSign(s.url, t.pkhs.tz3, consensus(0x13, 21, 6, 0));
    expect(r.status).toBe(200);
    const metrics = await (await fetch(`${s.utilityUrl}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`tezos_signer_requests_total\\{pkh="${t.pkhs.tz3}",kind="unknown",outcome="aborted"\\} 1`),
    );
    expect(metrics).not.toMatch(/outcome="error"/);
    // Audit lines are flushed in batches: stop the signer to have them all.
    expect(await s.stop()).toBe(0);
    const aborted = auditLines().filter((l) => l.decision === 'aborted');
    expect(aborted).toHaveLength(1);
    expect(aborted[0]).toMatchObject({ pkh: t.pkhs.tz3, status: 499 });
    expect(aborted[0].reason).toMatch(/client closed the connection/);
    expect(s.stderr()).not.toMatch(/internal error|Error:/);
  });
});
