// The signing API's authentication failures: 401 when no credential was presented, 403 when one was presented
// and is wrong (docs/protocol.md, "Errors"), so a client can tell a missing setting from a bad key.

export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}
