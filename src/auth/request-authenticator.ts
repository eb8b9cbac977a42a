// Which client keys may authorise signing with which signer key:
// - server.authorized_keys: for every signer key;
// - tezos.<pkh>.authorized_keys: for that key only, replacing the server-wide list for it.
// A signer key with no list at all signs without authentication (octez: require_auth off).

import { type AuthResult, verifyAuthentication } from './authenticate.js';
import { type AuthorizedKey, parseAuthorizedKey } from './authorized-key.js';

export class RequestAuthenticator {
  private readonly global: readonly AuthorizedKey[] | null;
  private readonly perKey: ReadonlyMap<string, readonly AuthorizedKey[]>;
  private readonly advertisedPkhs: readonly string[] | null;

  constructor(global: readonly string[] | null, perKey: ReadonlyMap<string, readonly string[]> = new Map()) {
    this.global = global === null ? null : global.map(parseAuthorizedKey);
    this.perKey = new Map([...perKey].map(([pkh, list]) => [pkh, list.map(parseAuthorizedKey)]));
    const all = [...(this.global ?? []), ...[...this.perKey.values()].flat()];
    this.advertisedPkhs =
      this.global === null && this.perKey.size === 0 ? null : [...new Set(all.map((k) => k.pkh))].sort();
  }

  /** What GET /authorized_keys advertises: null means `{}` (no authentication required anywhere). */
  advertised(): readonly string[] | null {
    return this.advertisedPkhs;
  }

  /** True when signing with `pkh` needs an authentication signature. */
  requires(pkh: string): boolean {
    return this.keysFor(pkh) !== null;
  }

  check(pkh: string, data: Uint8Array, signature: string | undefined | null): AuthResult {
    const keys = this.keysFor(pkh);
    if (keys === null) return 'ok';
    return verifyAuthentication(keys, pkh, data, signature);
  }

  private keysFor(pkh: string): readonly AuthorizedKey[] | null {
    return this.perKey.get(pkh) ?? this.global;
  }
}
