// Errors a watermark store raises besides a refusal (which is a Decision, not an error).

/**
 * The store cannot give a durable answer right now (database unreachable, too slow, commit failed or
 * uncertain). Nothing was signed for the caller: the HTTP layer answers 503 with Retry-After
 * (docs/protocol.md, "Errors") and the baker retries.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  /** Seconds the client should wait before retrying (the Retry-After header). */
  readonly retryAfter: number;
  constructor(message: string, options?: { cause?: unknown; retryAfter?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfter = options?.retryAfter ?? 1;
  }
}
