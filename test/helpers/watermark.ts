// Helpers for the watermark tests: temporary directories and a real signer (P-256 with random k, so a
// second signature of the same bytes differs: a re-sign would be visible) that counts its calls.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { FileStore, type FileStoreOptions } from '../../src/watermark/file-store.js';
import type { SlotKey } from '../../src/watermark/store.js';

export const MAINNET = 'NetXdQprcVkpaWU';
export const GHOSTNET = 'NetXnHfVqm9iesp';
export const PKH1 = 'tz3bvNMQ95vfAYtG8193ymshqjSvmxiCUuR5';
export const PKH2 = 'tz1burnburnburnburnburnburnburjAYjjX';

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** A distinct well-formed (base58) pkh per index, for tests with many slots. */
export function pkhN(i: number): string {
  return `tz1${B58[i % 58]}${B58[Math.floor(i / 58) % 58]}${B58[Math.floor(i / 3364) % 58]}${'a'.repeat(30)}`;
}

export function slot(kind: SlotKey['kind'] = 'block', pkh = PKH1, chainId = MAINNET): SlotKey {
  return { chainId, pkh, kind };
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'thsm-wm-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A request as the watermark sees it: bytes (magic, level, round, random salt) and their BLAKE2b-256. */
export interface TestRequest {
  level: number;
  round: number;
  hash: string;
  bytes: Uint8Array;
}

export function request(level: number, round: number, magic = 0x11): TestRequest {
  const bytes = new Uint8Array(1 + 8 + 16);
  const view = new DataView(bytes.buffer);
  bytes[0] = magic;
  view.setInt32(1, level);
  view.setInt32(5, round);
  bytes.set(randomBytes(16), 9);
  return { level, round, hash: bytesToHex(blake2b(bytes, { dkLen: 32 })), bytes };
}

export class CountingSigner {
  private readonly secret = p256.utils.randomSecretKey();
  readonly publicKey = p256.getPublicKey(this.secret);
  calls = 0;

  /** The sign() callback a store receives for `req`; optionally slow, to widen race windows. */
  signer(req: TestRequest, delayMs = 0): () => Promise<string> {
    return async () => {
      this.calls++;
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      return bytesToHex(p256.sign(req.bytes, this.secret, { extraEntropy: true }));
    };
  }

  verify(signature: string, req: TestRequest): boolean {
    return p256.verify(hexToBytes(signature), req.bytes, this.publicKey);
  }
}

/** File stores a test opens on its directory (quiet about recovery); closeAll() after each test. */
export class FileStores {
  private readonly opened: FileStore[] = [];

  constructor(private readonly dirOf: () => string) {}

  async open(opts: FileStoreOptions = {}): Promise<FileStore> {
    const s = await FileStore.open(this.dirOf(), { onRecovery: () => {}, ...opts });
    this.opened.push(s);
    return s;
  }

  async closeAll(): Promise<void> {
    for (const s of this.opened.splice(0)) await s.close();
  }
}
