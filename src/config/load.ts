// Loads and validates the YAML config file (README.md, "Configuration"). Unknown keys are errors;
// relative paths resolve against the config file's directory.

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { DEFAULT_TIMEOUT_MS, QUEUE_PER_SESSION } from '../hsm/options.js';
import { DEFAULT_MAX_CHAINS } from '../policy/chain-cap.js';
import { ConfigError } from './errors.js';
import {
  DEFAULT_LOG,
  type KeyOpsConfig,
  parseKeyOps,
  parseLog,
  parseNode,
  parseServerSecurity,
} from './ops-sections.js';
import { Section } from './reader.js';
import { parseTezos } from './tezos-section.js';
import {
  type Address,
  type Config,
  DEFAULT_ADDRESS,
  DEFAULT_LIMITS,
  DEFAULT_MAX_BODY_BYTES,
  type HsmConfig,
  type ServerConfig,
  type WatermarkConfig,
} from './types.js';
import { VENDORS, vendorLibrary } from './vendors.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseAddress(s: Section, key: string): Address | undefined {
  const v = s.string(key);
  if (v === undefined) return undefined;
  // host:port, with [v6]:port accepted.
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : -1;
  if (!m || port < 0 || port > 65535) throw s.error(key, `expected host:port, got '${v}'`);
  return { host: (m[1] ?? m[2])!, port };
}

function parseServer(s: Section, base: string): ServerConfig {
  const out: ServerConfig = {
    ...parseServerSecurity(s, base),
    address: parseAddress(s, 'address') ?? DEFAULT_ADDRESS,
    utilityAddress: parseAddress(s, 'utility_address') ?? null,
    knownKeys: s.bool('known_keys') ?? false,
    maxBodyBytes: s.int('max_body_bytes', 256, 1024 * 1024) ?? DEFAULT_MAX_BODY_BYTES,
    limits: {
      headersTimeoutMs: s.int('headers_timeout_ms', 100, 600_000) ?? DEFAULT_LIMITS.headersTimeoutMs,
      requestTimeoutMs: s.int('request_timeout_ms', 100, 600_000) ?? DEFAULT_LIMITS.requestTimeoutMs,
      keepAliveTimeoutMs: s.int('keep_alive_timeout_ms', 100, 600_000) ?? DEFAULT_LIMITS.keepAliveTimeoutMs,
      maxConnections: s.int('max_connections', 1, 65_536) ?? DEFAULT_LIMITS.maxConnections,
    },
  };
  s.done();
  // node measures the headers within the request time: a longer headers timeout would never apply.
  if (out.limits.headersTimeoutMs > out.limits.requestTimeoutMs)
    throw s.error('headers_timeout_ms', 'must not exceed server.request_timeout_ms');
  return out;
}

function parseHsm(s: Section, base: string): HsmConfig {
  // Read every key first so that a misspelt key is reported before what its absence implies.
  const vendor = s.oneOf('vendor', VENDORS) ?? null;
  const library = s.string('library');
  const pinEnv = s.string('pin_env');
  const pinFile = s.string('pin_file');
  const sessions = s.int('sessions', 1, 256) ?? 4;
  const signAhead = s.bool('sign_ahead') ?? true;
  const timeoutMs = s.int('timeout_ms', 1, 600_000) ?? DEFAULT_TIMEOUT_MS;
  const maxQueue = s.int('max_queue', 1, 100_000) ?? sessions * QUEUE_PER_SESSION;
  const tokenLabel = s.string('token_label');
  const tokenSerial = s.string('token_serial');
  const slot = s.raw('slot') ?? undefined;
  const envSection = s.section('env');
  s.done();

  if (library === undefined && vendor === null) throw s.error('library', 'required (or give hsm.vendor)');
  // A bare library name would be searched on the loader path: refuse it (src/hsm/types.ts).
  if (library !== undefined && !library.includes('/')) {
    throw s.error('library', `expected a path, got the bare name '${library}'`);
  }
  const out: HsmConfig = {
    vendor,
    library: library !== undefined ? resolve(base, library) : vendorLibrary(vendor!),
    pinEnv: pinEnv ?? 'HSM_PIN',
    pinFile: null,
    sessions,
    signAhead,
    timeoutMs,
    maxQueue,
    env: {},
  };
  if (!ENV_NAME.test(out.pinEnv)) throw s.error('pin_env', `'${out.pinEnv}' is not a variable name`);
  if (pinFile !== undefined) {
    if (pinEnv !== undefined) throw s.error('pin_file', 'give pin_env or pin_file, not both');
    out.pinFile = resolve(base, pinFile);
  }
  const given = [tokenLabel, tokenSerial, slot].filter((v) => v !== undefined).length;
  if (given !== 1) throw s.error('token_label', 'give exactly one of token_label, token_serial, slot');
  if (tokenLabel !== undefined) out.tokenLabel = tokenLabel;
  if (tokenSerial !== undefined) out.tokenSerial = tokenSerial;
  if (slot !== undefined) {
    // CloudHSM slot ids exceed 2^53 (docs/vendors/cloudhsm.md): accept strings too.
    const text = typeof slot === 'number' && Number.isSafeInteger(slot) ? String(slot) : slot;
    if (typeof text !== 'string' || !/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) {
      throw s.error('slot', 'expected a non-negative integer (decimal or 0x hex)');
    }
    out.slot = BigInt(text);
  }
  for (const name of envSection.keys()) {
    if (!ENV_NAME.test(name)) throw envSection.error(name, 'not a variable name');
    const v = envSection.raw(name);
    if (typeof v !== 'string') throw envSection.error(name, 'expected a string');
    out.env[name] = v;
  }
  envSection.done();
  return out;
}

function parseWatermark(s: Section, base: string): WatermarkConfig {
  const backend = s.oneOf('backend', ['file', 'postgres', 'memory'] as const) ?? 'file';
  const dir = s.string('dir');
  const url = s.string('url');
  const maxChains = s.int('max_chains', 1, 1000) ?? DEFAULT_MAX_CHAINS;
  s.done();
  if (backend === 'file') {
    if (dir === undefined) throw s.error('dir', 'required for the file backend');
    if (url !== undefined) throw s.error('url', 'only for the postgres backend');
    return { backend, dir: resolve(base, dir), maxChains };
  }
  if (backend === 'postgres') {
    if (url === undefined) throw s.error('url', 'required for the postgres backend');
    if (dir !== undefined) throw s.error('dir', 'only for the file backend');
    return { backend, url, maxChains };
  }
  if (dir !== undefined || url !== undefined) throw s.error('backend', 'memory takes no dir or url');
  return { backend, maxChains };
}

/** Parses config text; `file` names the file in errors and anchors relative paths. */
export function parseConfig(text: string, file: string): Config {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ConfigError(file, '', `invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const root = Section.of(file, '', doc.toJS());
  const base = dirname(resolve(file));
  const keyOps = new Map<string, KeyOpsConfig>();
  const config: Config = {
    file,
    server: parseServer(root.section('server'), base),
    hsm: parseHsm(root.section('hsm'), base),
    watermark: parseWatermark(root.section('watermark'), base),
    tezos: root.has('tezos')
      ? parseTezos(root.section('tezos'), (pkh, s) => keyOps.set(pkh, parseKeyOps(s)))
      : null,
    node: root.has('node') ? parseNode(root.section('node')) : null,
    log: root.has('log') ? parseLog(root.section('log'), base) : DEFAULT_LOG,
    keyOps,
  };
  root.done();
  return config;
}

export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '', `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseConfig(text, file);
}
