// The chain-head threshold rule: a block, preattestation or attestation is signed only when its
// level lies within [head − max_level_behind, head + max_level_ahead] of the node's head and on the
// node's chain. With no usable head, fail closed (503) unless fail_open is set.

import type { HeadState } from './head-monitor.js';

export interface HeadPolicy {
  maxLevelAhead: number;
  maxLevelBehind: number;
  failOpen: boolean;
}

export type HeadVerdict = { ok: true } | { ok: false; status: 403 | 503; reason: string };

export function checkHead(
  policy: HeadPolicy,
  head: HeadState,
  req: { chainId: string; level: number },
): HeadVerdict {
  if (!head.reachable || head.level === null || head.chainId === null) {
    if (policy.failOpen) return { ok: true };
    const why = head.lastError ? `: ${head.lastError}` : '';
    return { ok: false, status: 503, reason: `chain head unknown, node unreachable${why}` };
  }
  if (req.chainId !== head.chainId) {
    return {
      ok: false,
      status: 403,
      reason: `request is for chain ${req.chainId} but the node follows ${head.chainId}`,
    };
  }
  if (req.level > head.level + policy.maxLevelAhead) {
    return {
      ok: false,
      status: 403,
      reason: `level ${req.level} is more than ${policy.maxLevelAhead} above the chain head ${head.level}`,
    };
  }
  if (req.level < head.level - policy.maxLevelBehind) {
    return {
      ok: false,
      status: 403,
      reason: `level ${req.level} is more than ${policy.maxLevelBehind} below the chain head ${head.level}`,
    };
  }
  return { ok: true };
}
