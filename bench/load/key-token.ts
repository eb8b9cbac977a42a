// The growth rows' token (bench/run.ts, bench/rss-keys.ts): one P-256 key at first, topped up to a given
// count of keys by bench/load/add-keys.ts in its own process.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createToken, type TestToken } from '../../test/helpers/softhsm.js';

const run = promisify(execFile);

export interface KeyToken {
  token: TestToken;
  /** Adds P-256 keys until the token holds `count` (never removes any). */
  growTo(count: number): Promise<void>;
}

export async function createKeyToken(label: string): Promise<KeyToken> {
  const token = await createToken({ label, keys: [{ curve: 'p256', label: 'k0', id: 'a0' }] });
  let onToken = 1;
  return {
    token,
    growTo: async (count) => {
      if (count <= onToken) return;
      await run(
        process.execPath,
        [
          '--import',
          'tsx',
          'bench/load/add-keys.ts',
          token.library,
          token.tokenLabel,
          token.pin,
          `${count - onToken}`,
          `g${count}`,
        ],
        { env: { ...process.env, ...token.env } },
      );
      onToken = count;
    },
  };
}
