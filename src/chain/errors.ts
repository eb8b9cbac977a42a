// A request refused by the chain-head threshold, or that cannot be checked because the node is unreachable
// while failing closed; src/server/errors.ts answers each with its HTTP status.

import type { HeadRefusal } from './head-check.js';

export class ChainHeadError extends Error {
  override readonly name = 'ChainHeadError';
  constructor(
    readonly refusal: HeadRefusal,
    message: string,
  ) {
    super(message);
  }
}
