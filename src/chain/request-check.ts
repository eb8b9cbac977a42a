// Applies the chain-head guard to decoded requests: blocks, preattestations and attestations (the
// watermarked kinds, which carry a chain id and a level); other kinds are not tied to the head.

import { watermarkSlotOf } from '../tezos/decode.js';
import type { SignRequest } from '../tezos/request.js';
import { ChainHeadError } from './errors.js';
import type { ChainHeadGuard } from './head-guard.js';

export function chainHeadCheck(guard: ChainHeadGuard): (req: SignRequest) => void {
  return (req) => {
    const slot = watermarkSlotOf(req);
    if (slot === null) return;
    const verdict = guard.check({ chainId: slot.chainId, level: slot.level });
    if (!verdict.ok) throw new ChainHeadError(verdict.refusal, verdict.reason);
  };
}
