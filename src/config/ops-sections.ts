// Config sections and keys for operations and security (docs/operations.md):
//   server.authorized_keys, server.api_token_env, server.tls {cert, key}
//   node {rpc, max_level_ahead, max_level_behind, fail_open}
//   log {level, file}
//   tezos.<pkh>.authorized_keys, tezos.<pkh>.log_payloads, tezos.<tz4>.allow_proof_of_possession
// Each parser reads only its keys; the caller's Section.done() still refuses unknown ones.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAuthorizedKey } from '../auth/authorized-key.js';
import type { Section } from './reader.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface TlsConfig {
  cert: string;
  key: string;
}

export interface ServerSecurityConfig {
  /** Client keys (edpk/sppk/p2pk) allowed to authenticate any request; null: none required. */
  authorizedKeys: string[] | null;
  /** Environment variable holding the reverse-proxy token; null: no token checked. */
  apiTokenEnv: string | null;
  tls: TlsConfig | null;
}

export interface NodeConfig {
  rpc: string;
  maxLevelAhead: number;
  maxLevelBehind: number;
  failOpen: boolean;
}

export interface LogConfig {
  level: (typeof LOG_LEVELS)[number];
  /** null: stdout. */
  file: string | null;
}

export interface KeyOpsConfig {
  /** Replaces server.authorized_keys for this key; null: the server-wide list applies. */
  authorizedKeys: string[] | null;
  logPayloads: boolean;
  /** tz4 only (docs/tz4.md): answer GET /bls_prove_possession/<pkh>. */
  allowProofOfPossession: boolean;
}

export const DEFAULT_LOG: LogConfig = { level: 'info', file: null };
export const DEFAULT_MAX_LEVEL_AHEAD = 5;
export const DEFAULT_MAX_LEVEL_BEHIND = 5;

function authorizedKeys(s: Section, key: string): string[] | null {
  const list = s.strings(key);
  if (list === undefined) return null;
  if (list.length === 0)
    throw s.error(key, 'an empty list would refuse every request: remove the key instead');
  for (const [i, k] of list.entries()) {
    try {
      parseAuthorizedKey(k);
    } catch (err) {
      throw s.error(`${key}[${i}]`, `not a usable public key (edpk/sppk/p2pk): ${(err as Error).message}`);
    }
  }
  return list;
}

/** Reads the security keys of the `server` section. */
export function parseServerSecurity(s: Section, base: string): ServerSecurityConfig {
  const apiTokenEnv = s.string('api_token_env') ?? null;
  if (apiTokenEnv !== null && !ENV_NAME.test(apiTokenEnv))
    throw s.error('api_token_env', `'${apiTokenEnv}' is not a variable name`);
  let tls: TlsConfig | null = null;
  if (s.has('tls')) {
    const t = s.section('tls');
    const files: string[] = [];
    for (const k of ['cert', 'key'] as const) {
      const v = t.string(k);
      if (v === undefined) throw t.error(k, 'required');
      const path = resolve(base, v);
      if (!existsSync(path)) throw t.error(k, `${path} does not exist`);
      files.push(path);
    }
    t.done();
    tls = { cert: files[0]!, key: files[1]! };
  }
  return { authorizedKeys: authorizedKeys(s, 'authorized_keys'), apiTokenEnv, tls };
}

/** The optional `node` section: chain-head threshold. */
export function parseNode(s: Section): NodeConfig {
  const rpc = s.string('rpc');
  if (rpc === undefined) throw s.error('rpc', 'required (the node RPC URL, e.g. http://127.0.0.1:8732)');
  let url: URL;
  try {
    url = new URL(rpc);
  } catch {
    throw s.error('rpc', `'${rpc}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw s.error('rpc', 'expected an http:// or https:// URL');
  const out: NodeConfig = {
    rpc,
    maxLevelAhead: s.int('max_level_ahead', 0, 1_000_000) ?? DEFAULT_MAX_LEVEL_AHEAD,
    maxLevelBehind: s.int('max_level_behind', 0, 1_000_000) ?? DEFAULT_MAX_LEVEL_BEHIND,
    failOpen: s.bool('fail_open') ?? false,
  };
  s.done();
  return out;
}

/** The optional `log` section. */
export function parseLog(s: Section, base: string): LogConfig {
  const level = s.oneOf('level', LOG_LEVELS) ?? DEFAULT_LOG.level;
  const file = s.string('file');
  s.done();
  return { level, file: file === undefined ? null : resolve(base, file) };
}

/** Reads the per-key operations keys of `tezos.<pkh>`. */
export function parseKeyOps(s: Section): KeyOpsConfig {
  return {
    authorizedKeys: authorizedKeys(s, 'authorized_keys'),
    logPayloads: s.bool('log_payloads') ?? false,
    allowProofOfPossession: s.bool('allow_proof_of_possession') ?? false,
  };
}
