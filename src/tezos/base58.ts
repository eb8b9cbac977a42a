// Base58check with Tezos prefixes: encode(prefix, payload) and decode(string) back to (prefix, payload).
// Layout: base58(prefix ‖ payload ‖ sha256d checksum[0..4]) (octez src/lib_crypto/base58.ml).
import bs58check from 'bs58check';
import { PREFIX, type PrefixName } from './prefixes.js';

export function b58encode(name: PrefixName, payload: Uint8Array): string {
  const prefix = PREFIX[name];
  if (payload.length !== prefix.length) {
    throw new TypeError(`${name} payload must be ${prefix.length} bytes, got ${payload.length}`);
  }
  const out = new Uint8Array(prefix.bytes.length + payload.length);
  out.set(prefix.bytes, 0);
  out.set(payload, prefix.bytes.length);
  return bs58check.encode(out);
}

/** Raw base58check decode (checksum verified); throws TypeError on a malformed string. */
function rawDecode(s: string): Uint8Array {
  try {
    return bs58check.decode(s);
  } catch {
    throw new TypeError(`invalid base58check string ${JSON.stringify(s.slice(0, 80))}`);
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Decode a string that must carry one of `allowed` prefixes; returns which one and its payload. */
export function b58decode<N extends PrefixName>(
  s: string,
  allowed: readonly N[],
): { prefix: N; payload: Uint8Array } {
  if (typeof s !== 'string') throw new TypeError('expected a base58check string');
  const raw = rawDecode(s);
  for (const name of allowed) {
    const prefix = PREFIX[name];
    if (raw.length === prefix.bytes.length + prefix.length && startsWith(raw, prefix.bytes)) {
      return { prefix: name, payload: raw.slice(prefix.bytes.length) };
    }
  }
  throw new TypeError(
    `expected a base58check ${allowed.join('/')} string, got ${JSON.stringify(s.slice(0, 80))}`,
  );
}
