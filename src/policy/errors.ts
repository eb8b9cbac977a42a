// A policy refusal: the request is well formed but this signer will not sign it (HTTP 403).

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}
