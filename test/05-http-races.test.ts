// Concurrency over real HTTP (node:http server in process, real token): at one height exactly one of
// many different payloads is signed, and identical payloads all get the one same signature.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listening, listen } from '../src/server/listen.js';
import { type DevSigner, devToken, openSigner } from './helpers/dev-signer.js';
import { postSign, type SignAnswer } from './helpers/http.js';
import { blockWith, consensus } from './helpers/tezos-vectors.js';

let pkhs: Record<'tz1' | 'tz2' | 'tz3', string>;
let s: DevSigner;
let server: Listening;

beforeAll(async () => {
  const t = await devToken();
  pkhs = t.pkhs;
  s = await openSigner(t.config);
  server = await listen(s.app, { host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server?.close();
  await s?.close();
});

function post(pkh: string, hex: string): Promise<SignAnswer> {
  return postSign(`http://${server.address}`, pkh, hex);
}

describe('races through HTTP', () => {
  for (const prefix of ['tz1', 'tz2', 'tz3'] as const) {
    it(`${prefix}: 100 concurrent different blocks at one height: exactly one signed`, async () => {
      const pkh = pkhs[prefix];
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => post(pkh, blockWith({ level: 40, round: 0, payloadRound: i }))),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409)).toHaveLength(99);
    });
  }

  it('100 concurrent identical attestations: one signature, returned to all', async () => {
    const att = consensus(0x13, 21, 77, 0);
    const results = await Promise.all(Array.from({ length: 100 }, () => post(pkhs.tz2, att)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const sigs = new Set(results.map((r) => (r.body as { signature: string }).signature));
    expect(sigs.size).toBe(1);
  });
});
