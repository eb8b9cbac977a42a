// Without a `chains` list a key signs on any chain, and every chain id gets watermark slots of its own,
// kept for good (in memory and in the store): requests on made-up chain ids would grow the signer's
// state without bound. A baker signs on one chain (two around a test network's start), so each key
// may sign on at most `max` distinct chain ids (watermark.max_chains); a `chains` list replaces the cap.

import { PolicyError } from './errors.js';

export const DEFAULT_MAX_CHAINS = 4;

export class ChainCap {
  private readonly chains = new Map<string, Set<string>>();

  constructor(readonly max: number) {}

  private of(pkh: string): Set<string> {
    let set = this.chains.get(pkh);
    if (set === undefined) {
      set = new Set();
      this.chains.set(pkh, set);
    }
    return set;
  }

  /** A chain the key already has marks on (read from the store at start): counted, never refused. */
  note(pkh: string, chainId: string): void {
    this.of(pkh).add(chainId);
  }

  /**
   * Throws PolicyError when `chainId` would be one chain too many for `pkh`. Counts nothing: a chain is
   * counted (note) once a signature on it was recorded, so refused, failed or timed-out requests on
   * made-up chain ids cannot use up the key's places. Requests racing on new chains may pass together,
   * which bounds the overshoot by the requests in flight.
   */
  check(pkh: string, chainId: string): void {
    const set = this.of(pkh);
    if (set.has(chainId)) return;
    if (set.size >= this.max) {
      throw new PolicyError(
        `refused: chain ${chainId} would be chain ${set.size + 1} for ${pkh}, above watermark.max_chains ` +
          `(${this.max}; it signs on ${[...set].join(', ')}); list the chains it may sign on in ` +
          `tezos.${pkh}.chains, or raise watermark.max_chains`,
      );
    }
  }
}
