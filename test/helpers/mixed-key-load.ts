// Many concurrent clients signing with several keys at once, every signature checked against the key it
// was asked for: a session prepared ahead for one key (native/sign_ahead.h) that signed a request for
// another would fail the check.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { Hsm, type HsmKey, type HsmOptions } from '../../src/hsm/index.js';
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

/**
 * `rounds` times: a burst of `clients` × `perClient` signs (the queue rarely empty), then `lone` signs one
 * at a time (idle sessions prepare, switch keys, end what they prepared). Then `lone` signs of one key,
 * a few milliseconds apart: whichever session takes each has had time to prepare that key, however slow
 * the machine (an instrumented build), so some are served prepared. Returns the signatures made.
 */
export async function signMixedRounds(
  hsm: Hsm,
  keys: HsmKey[],
  o: { rounds: number; clients: number; perClient: number; lone: number },
): Promise<number> {
  let total = 0;
  for (let round = 0; round < o.rounds; round++) {
    total += await signMixedKeys(hsm, keys, o.clients, o.perClient);
    total += await signMixedKeys(hsm, keys, 1, o.lone);
  }
  const key = keys[0]!;
  for (let i = 0; i < o.lone; i++) {
    await new Promise((r) => setTimeout(r, 5));
    const digest = randomBytes(32);
    expect(verifySignature(key, digest, await hsm.sign(key, digest)), `paced sign ${i}`).toBe(true);
    total++;
  }
  return total;
}

/**
 * Opens `options` (sign ahead left to its default), runs signMixedRounds over the keys `pick` returns and
 * expects a clean pool: every sign counted, no error, recycle, timeout or outage, and some signatures
 * served by operations prepared ahead (the token accepted them).
 */
export async function expectCleanMixedLoad(
  options: HsmOptions,
  pick: (keys: HsmKey[]) => HsmKey[],
  load: { rounds: number; clients: number; perClient: number; lone: number },
): Promise<void> {
  const hsm = await Hsm.open(options);
  try {
    const total = await signMixedRounds(hsm, pick(await hsm.keys()), load);
    expect(hsm.stats()).toMatchObject({ signs: total, errors: 0, recycled: 0, timeouts: 0, outages: 0 });
    expect(hsm.stats().signsAhead).toBeGreaterThan(0);
  } finally {
    await hsm.close();
  }
}
