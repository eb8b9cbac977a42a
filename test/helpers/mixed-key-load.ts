// Many concurrent clients signing with several keys at once, every signature checked against the key it
// was asked for: a session prepared ahead for one key (native/sign_ahead.h) that signed a request for
// another would fail the check.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Hsm, HsmKey } from '../../src/hsm/index.js';
import { verifySignature } from './verify.js';

/**
 * `clients` loops of `perClient` sequential signs each, all running at once. Client i mostly signs with
 * keys[i % n], so that its sessions prepare that key, and every third sign uses the next key, so that a
 * prepared operation regularly meets a request for another key (and another curve when the keys differ).
 * Returns the number of signatures, each verified.
 */
export async function signMixedKeys(
  hsm: Hsm,
  keys: HsmKey[],
  clients: number,
  perClient: number,
): Promise<number> {
  expect(keys.length).toBeGreaterThan(1);
  let verified = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) {
        const k = keys[(c + (i % 3 === 2 ? 1 : 0)) % keys.length]!;
        const digest = randomBytes(32);
        const sig = await hsm.sign(k, digest);
        expect(verifySignature(k, digest, sig), `client ${c} sign ${i} with ${k.label}`).toBe(true);
        verified++;
      }
    }),
  );
  return verified;
}
