// Reads a POST /keys body: a JSON string of hex (octez src/lib_signer_services/signer_services.ml
// sign service input is Data_encoding.bytes, in JSON a hex string). Every malformed form is a 400.

import type { Context } from 'hono';
import { httpError } from './errors.js';

const HEX_BODY = /^[0-9a-fA-F]+$/;

export async function readHexBody(c: Context): Promise<Uint8Array> {
  const type = c.req.header('content-type');
  // octez-client sends application/json; a missing type is tolerated, any other is refused.
  if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
    throw httpError(400, `malformed request: content type must be application/json, got '${type}'`);
  }
  const text = await c.req.text();
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
