// The signing API's authentication failures: no credential presented ('missing') or a wrong one
// ('invalid'), so a client can tell a missing setting from a bad key; src/server/errors.ts answers each
// with its HTTP status (docs/protocol.md, "Errors").

export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
  constructor(
    readonly verdict: 'missing' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}
