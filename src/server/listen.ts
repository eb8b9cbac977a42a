// Runs a Hono app on node:http with a graceful close: stop accepting, let in-flight requests finish,
// drop idle keep-alive connections. Connection limits (config/types.ts ConnectionLimits) cut off
// clients that send slowly or never, and cap how many sockets they can hold.

import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { TlsConfig } from '../config/ops-sections.js';
import { type Address, type ConnectionLimits, DEFAULT_LIMITS } from '../config/types.js';

export interface Listening {
  /** host:port actually bound (port 0 resolves to the chosen one). */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * node checks the headers and request timeouts on a timer (30 s by default), so a short timeout would
 * be enforced late; this runs the check several times per timeout.
 */
function checkingInterval(limits: ConnectionLimits): number {
  return Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4)));
}

/** `tls` (issue #5, server.tls): serve HTTPS with this PEM certificate chain and key. */
export function listen(
  app: Hono,
  at: Address,
  tls: TlsConfig | null = null,
  limits: ConnectionLimits = DEFAULT_LIMITS,
): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const timeouts = {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: checkingInterval(limits),
    };
    const base = { fetch: app.fetch, hostname: at.host, port: at.port };
    const server = (
      tls
        ? serve({
            ...base,
            createServer: createHttpsServer,
            serverOptions: { ...timeouts, cert: readFileSync(tls.cert), key: readFileSync(tls.key) },
          })
        : serve({ ...base, serverOptions: timeouts })
    ) as Server;
    server.maxConnections = limits.maxConnections;
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const info = server.address() as AddressInfo;
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      let closing: Promise<void> | null = null;
      resolve({
        address: `${host}:${info.port}`,
        close: () =>
          (closing ??= new Promise<void>((done) => {
            // close() waits for every connection to end; keep-alive ones go idle once their in-flight
            // request is answered, so drop idle connections until the last one is gone.
            const sweep = setInterval(() => server.closeIdleConnections(), 25);
            server.close(() => {
              clearInterval(sweep);
              done();
            });
            server.closeIdleConnections();
          })),
      });
    });
  });
}
