// Watermark state grows by one set of slots per chain id. A key without a `chains` list signs on at
// most watermark.max_chains distinct chain ids (chains already in the store count): beyond that, 403
// naming the limit and the `chains` option, and nothing is stored for the extra chain.

import { verifySignature } from '@taquito/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHsm } from '../src/cli/open-hsm.js';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/types.js';
import type { Hsm } from '../src/hsm/hsm.js';
import { ChainCap } from '../src/policy/chain-cap.js';
import { Policy } from '../src/policy/policy.js';
import { createApp } from '../src/server/app.js';
import { Signer } from '../src/signer/signer.js';
import { b58encode } from '../src/tezos/base58.js';
import { StoreUnavailableError } from '../src/watermark/errors.js';
import { MemoryStore } from '../src/watermark/memory-store.js';
import type { SlotKey } from '../src/watermark/store.js';
import { devToken } from './helpers/dev-signer.js';
import { requestSign } from './helpers/http.js';
import { consensus, MAINNET } from './helpers/tezos-vectors.js';

let config: Config;
let hsm: Hsm;
let pkh: string;

beforeAll(async () => {
  const t = await devToken();
  pkh = t.pkhs.tz3;
  config = await loadConfig(t.config);
  hsm = await openHsm(config);
});
afterAll(async () => {
  await hsm?.close();
});

/** An attestation at `level` on the chain whose 4-byte id is `n` (MAINNET for n = 0). */
function attestation(n: number, level: number): { hex: string; chain: string } {
  const id = n === 0 ? MAINNET : (0x10000000 + n).toString(16);
  const hex = `${consensus(0x13, 21, level, 0).slice(0, 2)}${id}${consensus(0x13, 21, level, 0).slice(10)}`;
  return { hex, chain: b58encode('Net', Buffer.from(id, 'hex')) };
}

async function setup(tezos: Config['tezos'], cap: ChainCap, store = new MemoryStore()) {
  const signer = await Signer.create(hsm, store, new Policy(tezos), { chainCap: cap });
  const app = createApp(signer, config.server);
  const pk = ((await (await app.request(`/keys/${pkh}`)).json()) as { public_key: string }).public_key;
  const post = async (hex: string) => {
    const r = await requestSign(app, pkh, hex);
    const body = (await r.json()) as { signature?: string } | [{ msg: string }];
    if (r.status === 200)
      expect(verifySignature(hex, pk, (body as { signature: string }).signature)).toBe(true);
    return { status: r.status, msg: Array.isArray(body) ? body[0].msg : '' };
  };
  return { post, store };
}

describe('chain ids per key', () => {
  it('signs on up to max_chains chains, then refuses a new one with 403 naming the limit', async () => {
    const { post, store } = await setup(null, new ChainCap(3));
    for (const n of [0, 1, 2]) expect((await post(attestation(n, 10).hex)).status).toBe(200);
    const extra = attestation(3, 10);
    const refused = await post(extra.hex);
    expect(refused.status).toBe(403);
    expect(refused.msg).toContain(`chain ${extra.chain} would be chain 4 for ${pkh}`);
    expect(refused.msg).toContain('watermark.max_chains (3;');
    expect(refused.msg).toContain(`tezos.${pkh}.chains`);
    // Nothing stored for it; the known chains still sign.
    expect((await store.list()).map((m) => m.slot.chainId)).not.toContain(extra.chain);
    expect((await store.list()).length).toBe(3);
    expect((await post(attestation(1, 11).hex)).status).toBe(200);
  });

  it('counts a chain only once a signature on it was recorded: failed requests use up no place', async () => {
    // The store is unavailable for the first request on each new chain (a database switching over).
    class FirstFails extends MemoryStore {
      private readonly seen = new Set<string>();
      override signOnce(
        slot: SlotKey,
        req: { level: number; round: number; hash: string },
        sign: () => Promise<string>,
      ) {
        if (!this.seen.has(slot.chainId)) {
          this.seen.add(slot.chainId);
          return Promise.reject(new StoreUnavailableError('store switching over'));
        }
        return super.signOnce(slot, req, sign);
      }
    }
    const { post } = await setup(null, new ChainCap(2), new FirstFails());
    for (const n of [1, 2, 3]) expect((await post(attestation(n, 40).hex)).status).toBe(503);
    // Three failed chains counted nothing: two chains still fit, the third is one too many.
    for (const n of [1, 2]) expect((await post(attestation(n, 40).hex)).status).toBe(200);
    expect((await post(attestation(3, 40).hex)).status).toBe(403);
  });

  it('counts chains already in the store', async () => {
    const store = new MemoryStore();
    const first = await setup(null, new ChainCap(2), store);
    for (const n of [0, 1]) expect((await first.post(attestation(n, 20).hex)).status).toBe(200);
    // A restart: a fresh cap seeded from the store, as `serve` does.
    const cap = new ChainCap(2);
    for (const { slot } of await store.list()) cap.note(slot.pkh, slot.chainId);
    const again = await setup(null, cap, store);
    expect((await again.post(attestation(2, 21).hex)).status).toBe(403);
    expect((await again.post(attestation(0, 21).hex)).status).toBe(200);
  });

  it('does not apply to a key with a chains list (the list decides)', async () => {
    const chains = [0, 1, 2, 3].map((n) => attestation(n, 1).chain);
    const tezos = new Map([
      [
        pkh,
        {
          block: false,
          preattestation: false,
          attestation: true,
          generic: new Set<string>(),
          michelson: false,
          chains: new Set(chains),
        },
      ],
    ]);
    const { post } = await setup(tezos, new ChainCap(1));
    for (const n of [0, 1, 2, 3]) expect((await post(attestation(n, 30).hex)).status).toBe(200);
    expect((await post(attestation(4, 30).hex)).msg).toMatch(/on chain .* is not allowed/);
  });
});
