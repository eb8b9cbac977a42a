// Signing across an HSM outage: retries until the pool answers again, keeping what it was refused with.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { type Hsm, type HsmKey, Pkcs11Error } from '../../src/hsm/index.js';
import { verifySignature } from './verify.js';

/**
 * Signs every 50 ms until a signature comes back (at most `attempts` tries) and checks that it verifies;
 * returns the errors met on the way (all Pkcs11Error).
 */
export async function signUntilBack(hsm: Hsm, key: HsmKey, attempts = 200): Promise<Pkcs11Error[]> {
  const errors: Pkcs11Error[] = [];
  for (let i = 0; i < attempts; i++) {
    const digest = randomBytes(32);
    try {
      const sig = await hsm.sign(key, digest);
      expect(verifySignature(key, digest, sig)).toBe(true);
      return errors;
    } catch (err) {
      expect(err).toBeInstanceOf(Pkcs11Error);
      errors.push(err as Pkcs11Error);
      await sleep(50);
    }
  }
  throw new Error(`still unavailable after ${attempts} attempts: ${errors.at(-1)?.message}`);
}
