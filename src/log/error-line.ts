// Unexpected errors (bugs) as one JSON line on stderr, never a multi-line dump: log collectors keep
// stderr line by line, and a dump of a Pkcs11Error would split into pieces no one can query.

/** The fields of an error worth keeping: name, message, a PKCS#11 code/rv/fn when present, the stack. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const e = err as Error & { code?: unknown; rv?: unknown; fn?: unknown };
  return {
    name: e.name,
    message: e.message,
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.rv !== undefined ? { rv: e.rv } : {}),
    ...(e.fn !== undefined ? { fn: e.fn } : {}),
    ...(e.stack !== undefined ? { stack: e.stack } : {}),
  };
}

/** Writes `{"time","severity":"error","service","msg","err":{…}}` and a newline to stderr. */
export function logUnexpected(msg: string, err: unknown, write: (line: string) => void = stderrWrite): void {
  write(
    `${JSON.stringify({
      time: new Date().toISOString(),
      severity: 'error',
      service: 'tezos-hsm-signer',
      msg,
      err: errorFields(err),
    })}\n`,
  );
}

function stderrWrite(line: string): void {
  process.stderr.write(line);
}
