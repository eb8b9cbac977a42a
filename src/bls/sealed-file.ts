// The sealed tz4 key file (format documented in docs/tz4.md): a JSON object, version 1.
//   { "format": "tezos-hsm-signer/bls-sealed", "version": 1, "pkh": "tz4…", "public_key": "BLpk…",
//     "key_label": L, "aes_key_label": A, "nonce": hex(12), "ciphertext": hex(32), "tag": hex(16) }
// The GCM AAD binds every public field (aadOf), so moving a ciphertext to another file, label or key fails
// to decrypt. One parser and one serialiser: nothing else reads or writes these files.
import { GCM_IV_BYTES, GCM_TAG_BYTES } from './sealer.js';

export const SEALED_FORMAT = 'tezos-hsm-signer/bls-sealed';
export const SEALED_VERSION = 1;

export interface SealedKey {
  pkh: string;
  publicKey: string;
  keyLabel: string;
  aesKeyLabel: string;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

export class SealedFileError extends Error {
  override readonly name = 'SealedFileError';
}

const FIELDS = [
  'format',
  'version',
  'pkh',
  'public_key',
  'key_label',
  'aes_key_label',
  'nonce',
  'ciphertext',
  'tag',
] as const;

/** The AAD: format header and every public field, newline-separated. */
export function aadOf(k: Pick<SealedKey, 'pkh' | 'publicKey' | 'keyLabel' | 'aesKeyLabel'>): Uint8Array {
  return new TextEncoder().encode(
    [`${SEALED_FORMAT}/v${SEALED_VERSION}`, k.pkh, k.publicKey, k.keyLabel, k.aesKeyLabel].join('\n'),
  );
}

export function serializeSealed(k: SealedKey): string {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  return `${JSON.stringify(
    {
      format: SEALED_FORMAT,
      version: SEALED_VERSION,
      pkh: k.pkh,
      public_key: k.publicKey,
      key_label: k.keyLabel,
      aes_key_label: k.aesKeyLabel,
      nonce: hex(k.nonce),
      ciphertext: hex(k.ciphertext),
      tag: hex(k.tag),
    },
    null,
    2,
  )}\n`;
}

function hexField(o: Record<string, unknown>, name: string, length: number, where: string): Uint8Array {
  const v = o[name];
  if (typeof v !== 'string' || v.length !== length * 2 || !/^[0-9a-f]*$/.test(v)) {
    throw new SealedFileError(`${where}: "${name}" must be ${length} bytes of lowercase hex`);
  }
  return Uint8Array.from(Buffer.from(v, 'hex'));
}

function stringField(o: Record<string, unknown>, name: string, where: string): string {
  const v = o[name];
  if (typeof v !== 'string' || v.length === 0)
    throw new SealedFileError(`${where}: "${name}" must be a string`);
  return v;
}

/** Parses and shape-checks a sealed file; `where` (its path) prefixes every error. */
export function parseSealed(text: string, where: string): SealedKey {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw new SealedFileError(`${where}: not JSON`);
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o))
    throw new SealedFileError(`${where}: not an object`);
  const rec = o as Record<string, unknown>;
  if (rec.format !== SEALED_FORMAT)
    throw new SealedFileError(`${where}: "format" must be "${SEALED_FORMAT}"`);
  if (rec.version !== SEALED_VERSION) {
    throw new SealedFileError(
      `${where}: unsupported version ${JSON.stringify(rec.version)} (this signer reads ${SEALED_VERSION})`,
    );
  }
  for (const k of Object.keys(rec)) {
    if (!(FIELDS as readonly string[]).includes(k))
      throw new SealedFileError(`${where}: unknown field "${k}"`);
  }
  return {
    pkh: stringField(rec, 'pkh', where),
    publicKey: stringField(rec, 'public_key', where),
    keyLabel: stringField(rec, 'key_label', where),
    aesKeyLabel: stringField(rec, 'aes_key_label', where),
    nonce: hexField(rec, 'nonce', GCM_IV_BYTES, where),
    ciphertext: hexField(rec, 'ciphertext', 32, where),
    tag: hexField(rec, 'tag', GCM_TAG_BYTES, where),
  };
}
