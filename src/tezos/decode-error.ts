// The one error a decoder throws: where it stopped and what it expected.
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly offset: number,
    readonly expected: string,
  ) {
    super(`invalid request at byte ${offset}: expected ${expected}`);
  }
}
