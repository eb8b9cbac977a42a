// The request body over a real socket (src/server/body.ts): a Content-Length body is read by
// @hono/node-server's direct reader, a chunked one through a limited stream; both refuse a body over
// server.max_body_bytes with 413 and sign what fits. The audit line names the client and the request hash.
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blake2b } from '@noble/hashes/blake2.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeLogger, createLogger } from '../src/log/logger.js';
import { createApp } from '../src/server/app.js';
import { type Listening, listen } from '../src/server/listen.js';
import { SignObserver } from '../src/server/sign-observer.js';
import { parsePublicKey } from '../src/tezos/keys.js';
import { decodeSignature } from '../src/tezos/signatures.js';
import { type DevSigner, devToken, openSigner } from './helpers/dev-signer.js';
import { consensus } from './helpers/tezos-vectors.js';
import { verifySignature } from './helpers/verify.js';

const MAX = 1024;
let pkh: string;
let s: DevSigner;
let server: Listening;
const logFile = join(mkdtempSync(join(tmpdir(), 'body-')), 'audit.log');
const logger = createLogger({ dest: logFile, sync: true });

beforeAll(async () => {
  const t = await devToken();
  pkh = t.pkhs.tz3;
  s = await openSigner(t.config);
  const observer = new SignObserver({ logger, metrics: null, logPayloads: () => false });
  const app = createApp(s.signer, { knownKeys: false, maxBodyBytes: MAX, observer });
  server = await listen(app, { host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server?.close();
  await s?.close();
  await closeLogger(logger);
});

/** POST with either a Content-Length or chunked transfer (the body written in two pieces). */
function post(body: string, chunked: boolean, type = 'application/json') {
  const [host, port] = server.address.split(':');
  return new Promise<{ status: number; json: unknown }>((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': type };
    if (!chunked) headers['content-length'] = Buffer.byteLength(body);
    const req = request(
      { host, port: Number(port), method: 'POST', path: `/keys/${pkh}`, headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    if (chunked) {
      req.write(body.slice(0, 10));
      req.end(body.slice(10));
    } else req.end(body);
  });
}

function expectVerifies(hex: string, json: unknown): void {
  const sig = decodeSignature((json as { signature: string }).signature);
  expect(sig.scheme).toBe('p256');
  const pk = parsePublicKey(s.signer.key(pkh).publicKey);
  const key = { ref: 0, label: '', id: '', curve: 'p256' as const, publicKey: pk.bytes };
  const digest = blake2b(Buffer.from(hex, 'hex'), { dkLen: 32 });
  expect(verifySignature(key, digest, sig.bytes)).toBe(true);
}

describe('request body over HTTP', () => {
  it('signs a body sent with Content-Length and one sent chunked', async () => {
    for (const [level, chunked] of [
      [100, false],
      [101, true],
    ] as const) {
      const hex = consensus(0x13, 21, level, 0);
      const r = await post(JSON.stringify(hex), chunked);
      expect(r.status).toBe(200);
      expectVerifies(hex, r.json);
    }
  });

  it('refuses a body over max_body_bytes with 413, whichever the framing', async () => {
    const big = JSON.stringify('11'.repeat(MAX));
    for (const chunked of [false, true]) {
      const r = await post(big, chunked);
      expect(r.status).toBe(413);
      expect(JSON.stringify(r.json)).toMatch(/larger than 1024 bytes/);
    }
    // Exactly at the limit is read (then refused as a request, not as a size).
    const atLimit = JSON.stringify('11'.repeat((MAX - 2) / 2));
    expect((await post(atLimit, false)).status).toBe(400);
    expect((await post(atLimit, true)).status).toBe(400);
  });

  it('refuses a content type other than JSON, and malformed bodies, with 400', async () => {
    expect((await post(JSON.stringify('11'), false, 'text/plain')).status).toBe(400);
    expect((await post('"zz"', true)).status).toBe(400);
    expect((await post('not json', false)).status).toBe(400);
  });

  it('audits each decision with the client address and the request hash', async () => {
    const hex = consensus(0x13, 21, 200, 0);
    expect((await post(JSON.stringify(hex), false)).status).toBe(200);
    expect((await post(JSON.stringify(hex.replace(/cd/g, 'ce')), false)).status).toBe(409);
    const lines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const mine = lines.filter((l) => l.audit === true && l.level === 200);
    expect(mine.map((l) => [l.decision, l.status, l.client])).toEqual([
      ['signed', 200, '127.0.0.1'],
      ['refused', 409, '127.0.0.1'],
    ]);
    expect(mine[0]!.requestHash).toBe(
      Buffer.from(blake2b(Buffer.from(hex, 'hex'), { dkLen: 32 })).toString('hex'),
    );
    expect(mine.every((l) => !('payload' in l))).toBe(true);
  });

  it('signs a Content-Length body that arrives after its headers, then pipelined requests on that connection', async () => {
    // The body is taken from node's buffer when it came with the headers, else read as it arrives;
    // either way the request ends, so the kept-alive connection serves the next one.
    const [host, port] = server.address.split(':');
    const socket = connect(Number(port), host);
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      received += d;
    });
    const answers = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if ((received.match(/HTTP\/1\.1 /g) ?? []).length >= n && /[}\]]$/.test(received)) resolve();
          else setTimeout(check, 5);
        };
        socket.once('error', reject);
        check();
      });
    const head = (body: string) =>
      `POST /keys/${pkh} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    try {
      const first = consensus(0x13, 21, 400, 0);
      const body = JSON.stringify(first);
      socket.write(head(body) + body.slice(0, 7));
      await new Promise((r) => setTimeout(r, 50));
      socket.write(body.slice(7));
      await answers(1);
      // Then two requests in one write (pipelined): each body is its own request's.
      const more = [consensus(0x13, 21, 401, 0), consensus(0x13, 21, 402, 0)];
      socket.write(more.map((hex) => head(JSON.stringify(hex)) + JSON.stringify(hex)).join(''));
      await answers(3);
      const bodies = received.split(/HTTP\/1\.1 /).slice(1);
      expect(bodies.map((b) => b.slice(0, 3))).toEqual(['200', '200', '200']);
      for (const [i, hex] of [first, ...more].entries()) {
        expectVerifies(hex, JSON.parse(bodies[i]!.slice(bodies[i]!.indexOf('\r\n\r\n') + 4)));
      }
    } finally {
      socket.destroy();
    }
  });
});
