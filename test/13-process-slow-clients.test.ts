// Clients that send slowly or never (a byte at a time, headers or body) are cut off by the server's
// headers and request timeouts while a well-behaved client is served meanwhile; connections beyond
// server.max_connections are closed as soon as they are accepted.

import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSign } from './helpers/http.js';
import { type OpsSigner, type OpsToken, opsConfig, opsToken, startOpsSigner } from './helpers/ops-signer.js';
import { consensus } from './helpers/tezos-vectors.js';

const SLOW = 40;
let t: OpsToken;
let s: OpsSigner;
const sockets: Socket[] = [];

beforeAll(async () => {
  t = await opsToken();
  s = await startOpsSigner(
    opsConfig(
      t,
      'slow.yaml',
      '  headers_timeout_ms: 1500\n  request_timeout_ms: 2500\n  max_connections: 64\n',
    ),
  );
});
afterAll(async () => {
  for (const c of sockets) c.destroy();
  expect(await s.stop()).toBe(0);
});

/**
 * A client that sends `head` at once, then trickles `tail` one byte per `everyMs`; `closed` resolves
 * with how many bytes of the tail it sent when the server closed the connection.
 */
function trickle(
  head: string,
  text: string,
  everyMs: number,
): { closed: Promise<{ sent: number; answer: string }> } {
  const { hostname, port } = new URL(s.url);
  const sock = connect(Number(port), hostname);
  sockets.push(sock);
  let sent = 0;
  let answer = '';
  sock.on('data', (d) => {
    answer += d;
  });
  sock.on('error', () => {});
  sock.write(head);
  const timer = setInterval(() => {
    if (sent < text.length && !sock.destroyed) sock.write(text[sent++]!);
  }, everyMs);
  return {
    closed: new Promise((resolve) =>
      sock.once('close', () => {
        clearInterval(timer);
        resolve({ sent, answer });
      }),
    ),
  };
}

describe('slow clients', () => {
  it('cuts off clients trickling headers or a body while another client is served', async () => {
    const body = JSON.stringify(consensus(0x13, 21, 1, 0));
    const path = `/keys/${t.pkhs.tz3}`;
    const headers = `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    // Half trickle their headers, half send the headers at once and trickle the body.
    const slow = Array.from({ length: SLOW }, (_, i) =>
      i % 2 === 0 ? trickle('', headers + body, 200) : trickle(headers, body, 200),
    );
    // Meanwhile a normal client signs, one request after another, until every slow one is cut off.
    let done = false;
    const all = Promise.all(slow.map((c) => c.closed)).finally(() => {
      done = true;
    });
    let served = 0;
    for (let level = 10; !done; level++) {
      const r = await postSign(s.url, t.pkhs.tz3, consensus(0x13, 21, level, 0));
      expect(r.status).toBe(200);
      served++;
      await new Promise((r) => setTimeout(r, 20));
    }
    const results = await all;
    expect(served).toBeGreaterThan(0);
    for (const r of results) {
      // Closed by the server before the client got through what it meant to send.
      expect(r.sent).toBeLessThan(body.length);
      expect(r.answer).toMatch(/^$|^HTTP\/1\.1 408/);
    }
  });

  it('closes connections beyond server.max_connections at once', async () => {
    const { hostname, port } = new URL(s.url);
    const open: Socket[] = [];
    for (let i = 0; i < 64; i++) {
      const c = connect(Number(port), hostname);
      sockets.push(c);
      open.push(c);
      await new Promise((r) => c.once('connect', r));
    }
    const extra = connect(Number(port), hostname);
    sockets.push(extra);
    extra.on('error', () => {});
    const closed = new Promise((r) => extra.once('close', r));
    extra.write(`GET /authorized_keys HTTP/1.1\r\nHost: x\r\n\r\n`);
    await closed;
    for (const c of open) c.destroy();
  });
});
