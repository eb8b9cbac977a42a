// The one request body every HTTP bench sends: a (pre)attestation (magic 0x13, tag 21 or BLS-mode 41)
// on its own chain id (bytes 1..5 replaced, docs/protocol.md), so each client has its own watermark slot.
import { consensus } from '../../test/helpers/tezos-vectors.js';

export function signBody(chain: number, level: number, tag = 21): string {
  const hex = consensus(0x13, tag, level, 0);
  return JSON.stringify(hex.slice(0, 2) + (chain >>> 0).toString(16).padStart(8, '0') + hex.slice(10));
}

/** POST one body to `/keys/<pkh>` with fetch; throws on anything but 200 (benches sign fresh levels). */
export async function postSign(address: string, pkh: string, body: string): Promise<void> {
  const r = await fetch(`http://${address}/keys/${pkh}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  if (r.status !== 200) throw new Error(`status ${r.status}: ${await r.text()}`);
  await r.arrayBuffer();
}
