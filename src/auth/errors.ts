// The signing API's authentication failures (issue #5): 401 when no credential was presented, 403 when
// one was presented and is wrong (shared/DESIGN.md §2).

export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}
