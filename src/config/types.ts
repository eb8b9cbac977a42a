// The validated configuration (README.md, "Configuration"). Paths are absolute.

import type { KeyPolicy } from '../policy/key-policy.js';
import type { KeyOpsConfig, LogConfig, NodeConfig, ServerSecurityConfig } from './ops-sections.js';

export interface Address {
  host: string;
  port: number;
}

export interface ServerConfig extends ServerSecurityConfig {
  address: Address;
  utilityAddress: Address | null;
  /** Enables GET /known_keys. */
  knownKeys: boolean;
  /** Largest POST body accepted (413 above). */
  maxBodyBytes: number;
  /** Connection limits of both listeners (src/server/listen.ts). */
  limits: ConnectionLimits;
}

/**
 * A signer's clients send a few hundred bytes and get an answer in milliseconds: a client that takes
 * seconds to send its headers or body is broken or hostile, and holds a socket meanwhile.
 */
export interface ConnectionLimits {
  /** Time to receive a request's headers (server.headers_timeout_ms). */
  headersTimeoutMs: number;
  /** Time to receive a whole request, headers and body (server.request_timeout_ms). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (server.keep_alive_timeout_ms). */
  keepAliveTimeoutMs: number;
  /** Connections beyond this are closed as soon as they are accepted (server.max_connections). */
  maxConnections: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 512,
};

export interface HsmConfig {
  vendor: string | null;
  library: string;
  tokenLabel?: string;
  tokenSerial?: string;
  slot?: bigint;
  /** Environment variable holding the PIN (default HSM_PIN). */
  pinEnv: string;
  /** Alternative to pinEnv: a file readable by its owner only. */
  pinFile: string | null;
  sessions: number;
  /**
   * Idle sessions pre-run C_SignInit for the key they signed last (docs/hsm.md "signAhead"), taking it
   * off a lone request's path; switching keys then costs one discarded signature of a zero digest.
   */
  signAhead: boolean;
  /** hsm.timeout_ms: a sign not answered in this time gets 503 + Retry-After (HsmOptions.timeoutMs). */
  timeoutMs: number;
  /** hsm.max_queue: sign jobs waiting for a session beyond this get 503 at once (HsmOptions.maxQueue). */
  maxQueue: number;
  /** Variables set in the process environment before the PKCS#11 library is loaded (e.g. SOFTHSM2_CONF). */
  env: Record<string, string>;
}

export interface WatermarkConfig {
  backend: 'file' | 'postgres' | 'memory';
  dir?: string;
  url?: string;
  /** Distinct chain ids a key without a `chains` list may sign on (src/policy/chain-cap.ts). */
  maxChains: number;
}

export interface Config {
  file: string;
  server: ServerConfig;
  hsm: HsmConfig;
  watermark: WatermarkConfig;
  /** The `tezos` section by pkh; null when absent (every key, consensus policy). */
  tezos: Map<string, KeyPolicy> | null;
  /** Chain-head threshold (src/chain/head-check.ts); null when the `node` section is absent. */
  node: NodeConfig | null;
  log: LogConfig;
  /** Per-key authentication and audit options from the `tezos` section (src/config/ops-sections.ts). */
  keyOps: Map<string, KeyOpsConfig>;
}

export const DEFAULT_ADDRESS: Address = { host: '127.0.0.1', port: 6732 };
/** Consensus requests are < 300 bytes and generic batches a few KiB; JSON hex doubles that. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;
