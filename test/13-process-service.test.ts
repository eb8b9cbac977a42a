// buildService (src/cli/service.ts) is the wiring `serve` runs: driven in process here, it serves the
// token's keys with the audit line and metrics attached, and its closers close what it opened.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifySignature } from '@taquito/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Closers } from '../src/cli/closers.js';
import { buildService, type Service } from '../src/cli/service.js';
import { loadConfig } from '../src/config/load.js';
import { closeLogger, createLogger } from '../src/log/logger.js';
import { devToken, writeVariant } from './helpers/dev-signer.js';
import { consensus } from './helpers/tezos-vectors.js';

let dir: string;
let pkhs: Record<'tz1' | 'tz2' | 'tz3', string>;
let service: Service;
const closers = new Closers();
const warnings: string[] = [];

beforeAll(async () => {
  const t = await devToken();
  ({ dir, pkhs } = t);
  const config = await loadConfig(writeVariant(dir, 'service.yaml', readFileSync(t.config, 'utf8'), ''));
  const logger = createLogger({ level: 'info', dest: join(dir, 'audit.log') });
  closers.add('log', () => closeLogger(logger));
  service = await buildService(config, { closers, logger, warn: (m) => warnings.push(m) });
}, 60_000);

afterAll(() => closers.closeAll());

describe('buildService', () => {
  it('signs with every key of the token through the production wiring; taquito verifies', async () => {
    let level = 300;
    for (const pkh of Object.values(pkhs)) {
      const pk = ((await (await service.app.request(`/keys/${pkh}`)).json()) as { public_key: string })
        .public_key;
      const hex = consensus(0x13, 21, level++, 0);
      const r = await service.app.request(`/keys/${pkh}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(hex),
      });
      expect(r.status).toBe(200);
      const { signature } = (await r.json()) as { signature: string };
      expect(verifySignature(hex, pk, signature)).toBe(true);
    }
    expect(service.signer.keys.size).toBe(3);
  });

  it('refuses an attestation below the one it signed (its store keeps the watermark)', async () => {
    const r = await service.app.request(`/keys/${pkhs.tz3}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(consensus(0x13, 21, 301, 0)),
    });
    expect(r.status).toBe(409);
  });
});
