// The chain-head threshold rule: a block, preattestation or attestation is signed only when its
// level lies within [head − max_level_behind, head + max_level_ahead] of the node's head and on the
// node's chain. With no usable head, fail closed unless fail_open is set.

import type { HeadState } from './head-monitor.js';

export interface HeadPolicy {
  maxLevelAhead: number;
  maxLevelBehind: number;
  failOpen: boolean;
}

/** Why a request was refused: outside the threshold, or no head known (a passing state). */
export type HeadRefusal = 'out-of-range' | 'head-unknown';

export type HeadVerdict = { ok: true } | { ok: false; refusal: HeadRefusal; reason: string };

export function checkHead(
  policy: HeadPolicy,
  head: HeadState,
  req: { chainId: string; level: number },
): HeadVerdict {
  if (!head.reachable || head.level === null || head.chainId === null) {
    if (policy.failOpen) return { ok: true };
    const why = head.lastError ? `: ${head.lastError}` : '';
    return { ok: false, refusal: 'head-unknown', reason: `chain head unknown, node unreachable${why}` };
  }
  if (req.chainId !== head.chainId) {
    return {
      ok: false,
      refusal: 'out-of-range',
      reason: `request is for chain ${req.chainId} but the node follows ${head.chainId}`,
    };
  }
  if (req.level > head.level + policy.maxLevelAhead) {
    return {
      ok: false,
      refusal: 'out-of-range',
      reason: `level ${req.level} is more than ${policy.maxLevelAhead} above the chain head ${head.level}`,
    };
  }
  if (req.level < head.level - policy.maxLevelBehind) {
    return {
      ok: false,
      refusal: 'out-of-range',
      reason: `level ${req.level} is more than ${policy.maxLevelBehind} below the chain head ${head.level}`,
    };
  }
  return { ok: true };
}
