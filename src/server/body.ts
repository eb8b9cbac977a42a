// Reads a POST /keys body: a JSON string of hex (octez src/lib_signer_services/signer_services.ml
// sign service input is Data_encoding.bytes, in JSON a hex string). Every malformed form is a 400, a body
// over the limit a 413.
//
// Hot path (docs/operations.md, "Performance notes"): under @hono/node-server the headers come straight
// from node's IncomingMessage, and a body with a Content-Length (node's parser enforces that framing) is
// taken from the request's buffer once node has all of it, else read by the server's direct reader;
// touching c.req.raw.headers or .body would build a WHATWG Request, Headers and ReadableStream per
// request (hono's bodyLimit middleware does). Chunked bodies and app.request() stream with the limit.

import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ClientAbortError, httpError } from './errors.js';

const HEX_BODY = /^[0-9a-fA-F]+$/;
const JSON_TYPE = /^application\/json\s*(;|$)/i;
/** As the direct reader decodes (a UTF-8 byte order mark dropped). */
const UTF8 = new TextDecoder();

/** The node request under @hono/node-server, else null (app.request in tests, other runtimes). */
export function incomingOf(c: Context): IncomingMessage | null {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming ?? null;
}

function header(c: Context, incoming: IncomingMessage | null, name: string): string | undefined {
  if (incoming === null) return c.req.header(name);
  const v = incoming.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

async function readLimited(c: Context, maxBytes: number): Promise<string> {
  const body = c.req.raw.body;
  if (body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(maxBytes: number) {
  return httpError(413, `request body larger than ${maxBytes} bytes`);
}

/** The body, or ClientAbortError when the client went away before sending all of it. */
async function readText(c: Context, maxBytes: number): Promise<string> {
  const incoming = incomingOf(c);
  try {
    return await readAll(c, incoming, maxBytes);
  } catch (err) {
    if (err instanceof HTTPException) throw err; // ours: 413
    // node marks a request `complete` once its whole body arrived: anything short of that is the client's.
    if (
      incoming !== null &&
      !incoming.complete &&
      (incoming.destroyed || incoming.socket?.destroyed !== false)
    )
      throw new ClientAbortError(
        `client closed the connection before its request body was complete (${(err as Error).message})`,
      );
    throw err;
  }
}

async function readAll(c: Context, incoming: IncomingMessage | null, maxBytes: number): Promise<string> {
  // node's parser refuses a malformed Content-Length and delivers exactly that many bytes.
  const declared = incoming?.headers['content-length'];
  if (incoming !== null && declared !== undefined && incoming.headers['transfer-encoding'] === undefined) {
    if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
    // A body that came in the same read as its headers is in the request's buffer one microtask after
    // node emitted 'request' (the parser pushes it once that event's listeners return).
    const length = Number(declared);
    if (incoming.readableLength < length) await null;
    return bufferedBody(incoming, length) ?? c.req.text();
  }
  return readLimited(c, maxBytes);
}

/**
 * The whole body taken from the request's buffer when all `length` bytes are there and nobody read any,
 * else null: no listeners, no promise, no 'data' event. The request is then resumed so that it still
 * ends once node's parser is done with the message (@hono/node-server drains a request that has not
 * ended with timers after the answer).
 */
function bufferedBody(incoming: IncomingMessage, length: number): string | null {
  if (length === 0 || incoming.readableLength !== length || incoming.readableEncoding !== null) return null;
  if (incoming.readableDidRead || incoming.readableFlowing === true || incoming.destroyed) return null;
  // Paused, no size: read() hands over everything buffered at once (node:stream, readable.read()).
  const chunk: Buffer | null = incoming.read();
  incoming.resume();
  return chunk === null ? '' : UTF8.decode(chunk);
}

export async function readHexBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const type = header(c, incomingOf(c), 'content-type');
  // octez-client sends application/json; a missing type is tolerated, any other is refused.
  if (type !== undefined && !JSON_TYPE.test(type)) {
    throw httpError(400, `malformed request: content type must be application/json, got '${type}'`);
  }
  const text = await readText(c, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw httpError(400, 'malformed request: body is not JSON');
  }
  if (typeof value !== 'string') throw httpError(400, 'malformed request: body must be a JSON string of hex');
  if (value.length === 0) throw httpError(400, 'malformed request: empty payload');
  if (value.length % 2 !== 0) throw httpError(400, 'malformed request: odd number of hex digits');
  if (!HEX_BODY.test(value)) throw httpError(400, 'malformed request: payload is not hex');
  return Buffer.from(value, 'hex');
}
