// Parses the `tezos` section: per-key policy (README.md, "Policy").

import type { KeyPolicy } from '../policy/key-policy.js';
import { b58decode } from '../tezos/base58.js';
import { CONSENSUS_OPERATION_KINDS, GENERIC_OPERATION_KINDS } from '../tezos/decode-operations.js';
import { pkhToBytes } from '../tezos/keys.js';
import type { Section } from './reader.js';

const PKH = /^tz[1234][1-9A-HJ-NP-Za-km-z]{33}$/;
const CHAIN_ID = /^Net[1-9A-HJ-NP-Za-km-z]{12}$/;

/** True when the base58check checksum (and prefix) holds: a typo would otherwise just never match. */
function checksums(decode: () => unknown): boolean {
  try {
    decode();
    return true;
  } catch {
    return false;
  }
}

/** An `allow` flag: present with no value (or true) allows; false or absent refuses. */
function flag(s: Section, key: string): boolean {
  if (!s.has(key)) return false;
  const v = s.raw(key);
  if (v === null || v === true) return true;
  if (v === false) return false;
  throw s.error(key, 'expected no value, true or false');
}

function keyPolicy(s: Section, extra?: (s: Section) => void): KeyPolicy {
  const allow = s.section('allow');
  const generic = allow.strings('generic') ?? [];
  for (const kind of generic) {
    if (CONSENSUS_OPERATION_KINDS.has(kind)) {
      throw allow.error(
        'generic',
        `'${kind}' would bypass the watermark: allow it as block/preattestation/attestation`,
      );
    }
    if (!GENERIC_OPERATION_KINDS.has(kind)) {
      throw allow.error(
        'generic',
        `unknown operation kind '${kind}' (known: ${[...GENERIC_OPERATION_KINDS].join(', ')})`,
      );
    }
  }
  const p: KeyPolicy = {
    block: flag(allow, 'block'),
    preattestation: flag(allow, 'preattestation'),
    attestation: flag(allow, 'attestation'),
    generic: new Set(generic),
    michelson: flag(allow, 'michelson'),
    chains: null,
  };
  allow.done();
  const chains = s.strings('chains');
  if (chains !== undefined) {
    const bad = chains.find((c) => !CHAIN_ID.test(c));
    if (bad !== undefined) throw s.error('chains', `'${bad}' is not a chain id (Net…)`);
    const typo = chains.find((c) => !checksums(() => b58decode(c, ['Net'])));
    if (typo !== undefined)
      throw s.error('chains', `'${typo}' has a bad base58check checksum: a typo in the chain id?`);
    p.chains = new Set(chains);
  }
  extra?.(s);
  s.done();
  return p;
}

/** `perKey` reads further per-key settings (authorized_keys, log_payloads; ops-sections.ts) before done(). */
export function parseTezos(s: Section, perKey?: (pkh: string, s: Section) => void): Map<string, KeyPolicy> {
  const out = new Map<string, KeyPolicy>();
  for (const pkh of s.keys()) {
    if (!PKH.test(pkh)) throw s.error(pkh, 'expected a tz1/tz2/tz3/tz4 public key hash');
    if (!checksums(() => pkhToBytes(pkh)))
      throw s.error(pkh, 'bad base58check checksum: a typo in the public key hash?');
    out.set(pkh, keyPolicy(s.section(pkh), perKey && ((k) => perKey(pkh, k))));
  }
  s.done();
  return out;
}
