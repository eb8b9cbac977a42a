// The process logger: pino JSON lines written through an asynchronous SonicBoom destination, so a
// slow disk or pipe never blocks the signing path. PIN-shaped fields are redacted wherever they appear.

import { once } from 'node:events';
import { destination, type Logger, type LoggerOptions, pino } from 'pino';

export interface LogOptions {
  level?: LoggerOptions['level'];
  /** File path or file descriptor; default stdout. */
  dest?: string | number;
  /** Tests and the CLI may want synchronous writes; the server never does. */
  sync?: boolean;
}

export const REDACT_PATHS = ['pin', '*.pin', 'hsm.pin', 'password', '*.password', 'token', '*.token'];
export const REDACT_CENSOR = '[redacted]';

type Destination = ReturnType<typeof destination>;
const destinations = new WeakMap<Logger, Destination>();

/**
 * Asynchronous writes are batched: each write is a hop through libuv's thread pool and back,
 * costing the event loop more than formatting the line, so lines gather up to BATCH_BYTES and at most
 * BATCH_MS; pino writes what is left on exit and closeLogger() on shutdown.
 */
const BATCH_BYTES = 4096;
const BATCH_MS = 100;

export function createLogger(opts: LogOptions = {}): Logger {
  const sync = opts.sync ?? false;
  const stream = destination({
    dest: opts.dest ?? 1,
    sync,
    mkdir: true,
    ...(sync ? {} : { minLength: BATCH_BYTES, periodicFlush: BATCH_MS }),
  });
  const logger = pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'tezos-hsm-signer' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: REDACT_CENSOR },
      // The severity goes under its own key: `level` in an audit line is the block level.
      formatters: { level: (label) => ({ severity: label }) },
    },
    stream,
  );
  destinations.set(logger, stream);
  return logger;
}

/**
 * Writes out what the asynchronous destination still buffers and closes it (on shutdown). SonicBoom's
 * flush(cb) answers at once for an unbuffered stream even while a write is in flight; end() waits.
 */
export async function closeLogger(logger: Logger): Promise<void> {
  const stream = destinations.get(logger);
  if (!stream) return;
  // An asynchronous file destination opens in the background.
  if ((stream as unknown as { fd: number }).fd < 0) await once(stream, 'ready');
  const closed = once(stream, 'close');
  stream.end();
  await closed;
}
