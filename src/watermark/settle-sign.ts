// The device's sign() as the stores start it: at once, beside their own write, and settled into a value
// so that a failure waits for the write instead of escaping as an unhandled rejection. One rule for
// every store: a signature is a non-empty string.

/** sign()'s result, settled: a failed or malformed signature is a value here. */
export type Signed = { ok: true; signature: string } | { ok: false; error: unknown };

/** Calls sign() (a synchronous throw included) and settles its outcome; never rejects. */
export function settleSign(sign: () => Promise<string>): Promise<Signed> {
  return Promise.resolve()
    .then(sign)
    .then(
      (signature): Signed =>
        typeof signature === 'string' && signature.length > 0
          ? { ok: true, signature }
          : {
              ok: false,
              error: new TypeError('watermark: sign() must resolve to a non-empty signature string'),
            },
      (error: unknown): Signed => ({ ok: false, error }),
    );
}
