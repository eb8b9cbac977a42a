// A signing address reachable from other machines with nothing to stop a stranger asking for
// signatures: no request authentication, no API token, no TLS. Allowed (a private network may be the
// protection), but said loudly at start-up.

import { isIP } from 'node:net';
import type { Config } from '../config/types.js';

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** The warning to print, or null when the signing address is loopback or protected. */
export function exposureWarning(config: Config): string | null {
  const { server } = config;
  if (isLoopback(server.address.host)) return null;
  const authentication =
    server.authorizedKeys !== null || [...config.keyOps.values()].some((k) => k.authorizedKeys !== null);
  if (authentication || server.apiTokenEnv !== null || server.tls !== null) return null;
  return (
    `the signing API listens on ${server.address.host}:${server.address.port}, which is not a loopback ` +
    'address, with no request authentication (server.authorized_keys), no API token ' +
    '(server.api_token_env) and no TLS (server.tls): anyone who can reach it can ask for signatures ' +
    '(only the policy and the high watermark stand in the way)'
  );
}
