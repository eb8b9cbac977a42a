// buildService (src/cli/service.ts) is the wiring `serve` runs, and the one test/helpers/dev-signer.ts
// opens: driven in process here, it serves the token's keys with the audit line attached, and its
// closers close what it opened (the log is complete once they ran).
import { readFileSync } from 'node:fs';
import { verifySignature } from '@taquito/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevSigner, devToken, openSigner } from './helpers/dev-signer.js';
import { consensus } from './helpers/tezos-vectors.js';

let pkhs: Record<'tz1' | 'tz2' | 'tz3', string>;
let s: DevSigner;

beforeAll(async () => {
  const t = await devToken();
  pkhs = t.pkhs;
  s = await openSigner(t.config);
}, 60_000);

afterAll(() => s?.close());

describe('buildService', () => {
  it('signs with every key of the token through the production wiring; taquito verifies', async () => {
    let level = 300;
    for (const pkh of Object.values(pkhs)) {
      const pk = ((await (await s.app.request(`/keys/${pkh}`)).json()) as { public_key: string }).public_key;
      const hex = consensus(0x13, 21, level++, 0);
      const r = await s.app.request(`/keys/${pkh}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(hex),
      });
      expect(r.status).toBe(200);
      const { signature } = (await r.json()) as { signature: string };
      expect(verifySignature(hex, pk, signature)).toBe(true);
    }
    expect(s.signer.keys.size).toBe(3);
  });

  it('refuses an attestation below the one it signed (its store keeps the watermark)', async () => {
    const r = await s.app.request(`/keys/${pkhs.tz3}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(consensus(0x13, 21, 301, 0)),
    });
    expect(r.status).toBe(409);
  });

  it('writes one audit line per signature, in the log its closers flush', async () => {
    await s.close();
    const lines = readFileSync(s.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"decision"'))
      .map((l) => JSON.parse(l) as { pkh: string; decision: string; level: number });
    expect(lines.filter((l) => l.decision === 'signed').map((l) => [l.pkh, l.level])).toEqual([
      [pkhs.tz1, 300],
      [pkhs.tz2, 301],
      [pkhs.tz3, 302],
    ]);
    expect(lines.filter((l) => l.decision !== 'signed').map((l) => [l.pkh, l.level])).toEqual([
      [pkhs.tz3, 301],
    ]);
  });
});
