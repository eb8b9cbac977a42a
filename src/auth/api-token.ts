// Optional shared secret for deployments behind a reverse proxy: the proxy adds the header,
// the signer compares in constant time. Both sides are hashed first so the comparison does not leak the
// token length either.

import { createHash, timingSafeEqual } from 'node:crypto';

export const API_TOKEN_HEADER = 'x-signer-token';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class ApiToken {
  private readonly expected: Buffer;

  constructor(token: string) {
    if (token.length < 16) throw new TypeError('the API token must be at least 16 characters');
    this.expected = digest(token);
  }

  /** Loads the token from the environment variable named in the config; absent or empty is an error. */
  static fromEnv(name: string, env: NodeJS.ProcessEnv = process.env): ApiToken {
    const value = env[name];
    if (value === undefined || value === '')
      throw new TypeError(`environment variable ${name} (API token) is not set`);
    return new ApiToken(value);
  }

  matches(presented: string | undefined | null): boolean {
    if (presented === undefined || presented === null) return false;
    return timingSafeEqual(digest(presented), this.expected);
  }
}
