// A request refused by the chain-head threshold (403), or that cannot be checked because the node is
// unreachable while failing closed (503).

export class ChainHeadError extends Error {
  override readonly name = 'ChainHeadError';
  constructor(
    readonly status: 403 | 503,
    message: string,
  ) {
    super(message);
  }
}
