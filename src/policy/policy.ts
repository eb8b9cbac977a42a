// The one place that decides whether a decoded request may be signed by a key. The watermark is
// separate (src/watermark); this only answers "is this kind of request allowed at all".

import type { SignRequest } from '../tezos/request.js';
import { PolicyError } from './errors.js';
import { CONSENSUS_POLICY, type KeyPolicy } from './key-policy.js';

/** Magic byte of an authentication message (octez signer_messages.ml): never signed for a client. */
const MAGIC_AUTHENTICATION = 0x04;

export class Policy {
  /**
   * @param keys the `tezos` section; null = absent, every key on the token gets the consensus policy.
   */
  constructor(private readonly keys: ReadonlyMap<string, KeyPolicy> | null) {}

  /** Policy of a key, or null when the `tezos` section is present and does not list it. */
  of(pkh: string): KeyPolicy | null {
    if (this.keys === null) return CONSENSUS_POLICY;
    return this.keys.get(pkh) ?? null;
  }

  /** Checks that run on the raw bytes, before decoding. */
  checkBytes(bytes: Uint8Array): void {
    if (bytes[0] === MAGIC_AUTHENTICATION) {
      throw new PolicyError('refused: magic byte 0x04 (authentication message) is never signed for a client');
    }
  }

  /** Throws PolicyError when `pkh` may not sign `req`. */
  check(pkh: string, req: SignRequest): void {
    const p = this.of(pkh);
    if (p === null) throw new PolicyError(`refused: key ${pkh} is not listed in the tezos section`);
    switch (req.kind) {
      case 'block':
      case 'preattestation':
      case 'attestation':
        if (!p[req.kind]) throw new PolicyError(`refused: ${req.kind} is not allowed for ${pkh}`);
        if (p.chains !== null && !p.chains.has(req.chainId)) {
          throw new PolicyError(`refused: ${req.kind} on chain ${req.chainId} is not allowed for ${pkh}`);
        }
        return;
      case 'generic': {
        if (req.operations.length === 0) throw new PolicyError('refused: generic operation with no content');
        const bad = req.operations.find((op) => !p.generic.has(op.kind));
        if (bad !== undefined) {
          throw new PolicyError(`refused: generic operation kind ${bad.kind} is not allowed for ${pkh}`);
        }
        return;
      }
      case 'michelson':
        if (!p.michelson) throw new PolicyError(`refused: Michelson data (0x05) is not allowed for ${pkh}`);
        return;
      // Emmy-era requests: no protocol since Ithaca (2022) produces them, and their level-only watermark
      // cannot protect a Tenderbake round; signing one could only serve an attacker. Never allowed.
      case 'legacy_block':
      case 'legacy_endorsement':
        throw new PolicyError(
          `refused: legacy ${req.kind.slice(7)} (magic byte 0x0${req.magic}) is never signed`,
        );
    }
  }
}
