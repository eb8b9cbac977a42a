// The sealed tz4 key file (format documented in docs/tz4.md): a JSON object, version 2.
//   { "format": "tezos-hsm-signer/bls-sealed", "version": 2, "mechanism": "aes-gcm" | "aes-cbc-hmac",
//     "pkh": "tz4…", "public_key": "BLpk…", "key_label": L, "aes_key_label": A,
//     "nonce": hex(12 | 16), "ciphertext": hex(32 | 48), "tag": hex(16 | 32) }
// Version 1 (no "mechanism": AES-GCM) is still read, never written. The AAD binds the version, the
// mechanism and every public field (aadOf), so moving a ciphertext to another file, label, key or
// mechanism fails to decrypt. One parser and one serialiser: nothing else reads or writes these files.
import { SEAL_MECHANISMS, type SealMechanism, sealedSizes } from './sealer.js';

export const SEALED_FORMAT = 'tezos-hsm-signer/bls-sealed';
const READ_VERSIONS = [1, 2] as const;
type SealedVersion = (typeof READ_VERSIONS)[number];
/** The version written (READ_VERSIONS are those parsed). */
export const SEALED_VERSION: SealedVersion = 2;

export interface SealedKey {
  version: SealedVersion;
  mechanism: SealMechanism;
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

const V1_FIELDS = [
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
const FIELDS: Record<SealedVersion, readonly string[]> = { 1: V1_FIELDS, 2: [...V1_FIELDS, 'mechanism'] };

/**
 * The AAD: format header with the version and every public field, newline-separated; from version 2 the
 * mechanism too (version 1 files keep the AAD they were sealed with).
 */
export function aadOf(
  k: Pick<SealedKey, 'version' | 'mechanism' | 'pkh' | 'publicKey' | 'keyLabel' | 'aesKeyLabel'>,
): Uint8Array {
  const mechanism = k.version === 1 ? [] : [k.mechanism];
  return new TextEncoder().encode(
    [`${SEALED_FORMAT}/v${k.version}`, ...mechanism, k.pkh, k.publicKey, k.keyLabel, k.aesKeyLabel].join(
      '\n',
    ),
  );
}

export function serializeSealed(k: SealedKey): string {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  return `${JSON.stringify(
    {
      format: SEALED_FORMAT,
      version: k.version,
      mechanism: k.version === 1 ? undefined : k.mechanism,
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

function mechanismOf(rec: Record<string, unknown>, version: SealedVersion, where: string): SealMechanism {
  if (version === 1) return 'aes-gcm';
  const m = rec.mechanism;
  if (typeof m !== 'string' || !(SEAL_MECHANISMS as string[]).includes(m)) {
    throw new SealedFileError(`${where}: "mechanism" must be one of ${SEAL_MECHANISMS.join(', ')}`);
  }
  return m as SealMechanism;
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
  const version = rec.version as SealedVersion;
  if (!READ_VERSIONS.includes(version)) {
    throw new SealedFileError(
      `${where}: unsupported version ${JSON.stringify(rec.version)} (this signer reads ${READ_VERSIONS.join(' and ')})`,
    );
  }
  for (const k of Object.keys(rec)) {
    if (!FIELDS[version].includes(k)) throw new SealedFileError(`${where}: unknown field "${k}"`);
  }
  const mechanism = mechanismOf(rec, version, where);
  const size = sealedSizes(mechanism);
  return {
    version,
    mechanism,
    pkh: stringField(rec, 'pkh', where),
    publicKey: stringField(rec, 'public_key', where),
    keyLabel: stringField(rec, 'key_label', where),
    aesKeyLabel: stringField(rec, 'aes_key_label', where),
    nonce: hexField(rec, 'nonce', size.nonce, where),
    ciphertext: hexField(rec, 'ciphertext', size.ciphertext, where),
    tag: hexField(rec, 'tag', size.tag, where),
  };
}
