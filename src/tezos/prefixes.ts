// Base58check prefixes of every Tezos string the signer reads or writes, with the payload length each
// carries. Values from octez src/lib_crypto/base58.ml (Prefix module), cross-checked with
// @taquito/utils constants.ts.

export interface Prefix {
  readonly bytes: Uint8Array;
  readonly length: number;
}

const p = (hex: string, length: number): Prefix => ({
  bytes: Uint8Array.from(Buffer.from(hex, 'hex')),
  length,
});

export const PREFIX = {
  // public key hashes (20 bytes)
  tz1: p('06a19f', 20),
  tz2: p('06a1a1', 20),
  tz3: p('06a1a4', 20),
  tz4: p('06a1a6', 20),
  KT1: p('025a79', 20),
  sr1: p('067c75', 20),
  // public keys
  edpk: p('0d0f25d9', 32),
  sppk: p('03fee256', 33),
  p2pk: p('03b28b7f', 33),
  BLpk: p('069587cc', 48),
  // secret keys (tz4 only: the others never leave the HSM); 32 bytes, little-endian scalar
  BLsk: p('0396c028', 32),
  // signatures
  edsig: p('09f5cd8612', 64),
  spsig1: p('0d7365133f', 64),
  p2sig: p('36f02c34', 64),
  sig: p('04822b', 64),
  BLsig: p('28ab40cf', 96),
  // chain, block and operation hashes
  Net: p('575200', 4),
  B: p('0134', 32),
  o: p('0574', 32),
  LLo: p('1d9f6d', 32),
  P: p('02aa', 32),
  Co: p('4fc7', 32),
  vh: p('016af2', 32),
  nce: p('45dca9', 32),
  expr: p('0d2c401b', 32),
  src1: p('11a5868a', 32), // smart rollup commitment hash
  sh: p('0274b4', 48), // DAL slot header commitment
} as const;

export type PrefixName = keyof typeof PREFIX;
