// The high watermark through HTTP over a real token and the file store: block rounds from the fitness
// (not payload_round), (pre)attestations, tags 21/23 sharing a slot, chains and keys apart, restarts.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevSigner, devToken, openSigner } from './helpers/dev-signer.js';
import { requestSign } from './helpers/http.js';
import { blockWith, consensus } from './helpers/tezos-vectors.js';

const GHOSTNET = 'af1864d9';
const onChain = (hex: string, chain: string) => hex.slice(0, 2) + chain + hex.slice(10);

let pkhs: Record<'tz1' | 'tz2' | 'tz3', string>;
let config: string;
let s: DevSigner;

beforeAll(async () => {
  const t = await devToken();
  pkhs = t.pkhs;
  config = t.config;
  s = await openSigner(config);
});
afterAll(async () => {
  await s?.close();
});

async function sign(pkh: string, hex: string): Promise<{ status: number; signature?: string; msg?: string }> {
  const r = await requestSign(s.app, pkh, hex);
  const body = (await r.json()) as { signature?: string } | Array<{ msg: string }>;
  return Array.isArray(body)
    ? { status: r.status, msg: body[0]!.msg }
    : { status: r.status, signature: body.signature! };
}

describe('watermark through HTTP', () => {
  it('blocks: higher round signs, same height other bytes 409, identical bytes get the stored signature', async () => {
    const pkh = pkhs.tz2; // ECDSA: a re-sign would differ, so a repeat must return the stored signature
    const b0 = blockWith({ level: 20, round: 0, payloadRound: 0 });
    const first = await sign(pkh, b0);
    expect(first.status).toBe(200);
    expect(await sign(pkh, b0)).toEqual(first);
    // Same fitness round, different payload_round: different bytes at the same height.
    const other = await sign(pkh, blockWith({ level: 20, round: 0, payloadRound: 1 }));
    expect(other.status).toBe(409);
    expect(other.msg).toBe(
      `refused: block at level 20 round 0 for ${pkh} on NetXdQprcVkpaWU: different bytes were already signed at level 20 round 0`,
    );
    // Re-proposal at round 1 keeping payload_round 0: the fitness round counts, so it is higher.
    expect((await sign(pkh, blockWith({ level: 20, round: 1, payloadRound: 0 }))).status).toBe(200);
    // Lower round with a higher payload_round is still below.
    const below = await sign(pkh, blockWith({ level: 20, round: 0, payloadRound: 5 }));
    expect(below.status).toBe(409);
    expect(below.msg).toMatch(/below the high watermark \(level 20 round 1\)/);
    expect((await sign(pkh, blockWith({ level: 19, round: 9, payloadRound: 0 }))).status).toBe(409);
    expect((await sign(pkh, blockWith({ level: 21, round: 0, payloadRound: 0 }))).status).toBe(200);
  });

  it('preattestations and attestations have their own slots; tags 21 and 23 share one', async () => {
    const pkh = pkhs.tz3;
    expect((await sign(pkh, consensus(0x12, 20, 50, 0))).status).toBe(200);
    expect((await sign(pkh, consensus(0x13, 21, 50, 0))).status).toBe(200);
    // Attestation with DAL at the same height: different bytes in the shared attestation slot.
    const dal = await sign(pkh, consensus(0x13, 23, 50, 0, 7, '8102'));
    expect(dal.status).toBe(409);
    expect(dal.msg).toMatch(/^refused: attestation at level 50 round 0/);
    expect((await sign(pkh, consensus(0x13, 23, 50, 1, 7, '8102'))).status).toBe(200);
    expect((await sign(pkh, consensus(0x13, 21, 50, 1))).status).toBe(409);
    expect((await sign(pkh, consensus(0x12, 20, 49, 3))).status).toBe(409);
    expect((await sign(pkh, consensus(0x12, 20, 50, 1))).status).toBe(200);
  });

  it('chains and keys do not share marks', async () => {
    const hi = consensus(0x13, 21, 900, 0);
    const lo = consensus(0x13, 21, 800, 0);
    expect((await sign(pkhs.tz1, hi)).status).toBe(200);
    expect((await sign(pkhs.tz1, lo)).status).toBe(409);
    expect((await sign(pkhs.tz1, onChain(lo, GHOSTNET))).status).toBe(200);
    expect((await sign(pkhs.tz2, lo)).status).toBe(200);
    const msg = (await sign(pkhs.tz1, onChain(consensus(0x13, 21, 700, 0), GHOSTNET))).msg;
    expect(msg).toMatch(/on NetXnHfVqm9iesp: below the high watermark \(level 800 round 0\)/);
  });

  it('persists across a restart: marks and stored signatures survive', async () => {
    const pkh = pkhs.tz2;
    const att = consensus(0x13, 21, 3000, 2);
    const first = await sign(pkh, att);
    expect(first.status).toBe(200);
    await s.close();
    s = await openSigner(config);
    expect(readFileSync(config, 'utf8')).toMatch(/backend: file/);
    expect(await sign(pkh, att)).toEqual(first);
    expect((await sign(pkh, consensus(0x13, 21, 3000, 1))).status).toBe(409);
    expect((await sign(pkh, consensus(0x13, 21, 2999, 5))).status).toBe(409);
    expect((await sign(pkh, consensus(0x13, 21, 3001, 0))).status).toBe(200);
  });
});
