// A real client/server PKCS#11 token: `p11-kit server` exports a SoftHSM2 token over a unix socket and
// the signer loads p11-kit's client module, which speaks p11-kit's RPC to it. The server forks one
// p11-kit-remote per client, so it runs in its own process group and stop() signals the whole group:
// stopping the server is an HSM outage as a remote HSM's client library sees it.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestToken } from './softhsm.js';

export const P11KIT_CLIENT = '/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so';

export interface P11KitServer {
  /** The client module to load (p11-kit-client.so). */
  library: string;
  /** Environment the client module reads (P11_KIT_SERVER_ADDRESS), plus the token's own. */
  env: Record<string, string>;
  running(): boolean;
  /** Starts the server again on the same socket (after stop()). */
  start(): Promise<void>;
  /** Kills the server and every p11-kit-remote it forked; resolves once they are gone. */
  stop(): Promise<void>;
}

/** Fails (never skips) when p11-kit is missing: tests must not pass vacuously. */
export function requireP11Kit(): void {
  for (const path of ['/usr/bin/p11-kit', P11KIT_CLIENT]) {
    if (!existsSync(path))
      throw new Error(`${path} is missing: install p11-kit and p11-kit-modules (make sysdeps)`);
  }
}

const live = new Set<ChildProcess>();
// A test that fails before its afterAll still must not leave a server behind.
process.once('exit', () => {
  for (const proc of live) killGroup(proc, 'SIGKILL');
});

function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    // already gone
  }
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/**
 * Serves `token` (its own SoftHSM2 configuration) on a socket in `token.dir`, started now. `stop()` it in
 * afterAll.
 */
export async function startP11KitServer(token: TestToken): Promise<P11KitServer> {
  requireP11Kit();
  const socket = join(token.dir, 'p11-kit.sock');
  let proc: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';

  const server: P11KitServer = {
    library: P11KIT_CLIENT,
    env: { ...token.env, P11_KIT_SERVER_ADDRESS: `unix:path=${socket}` },
    running: () => proc !== null,
    async start() {
      if (proc) return;
      await rm(socket, { force: true });
      const child = spawn(
        'p11-kit',
        ['server', '-f', '-n', socket, '--provider', token.library, `pkcs11:token=${token.tokenLabel}`],
        { env: { ...process.env, ...token.env }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      child.stderr!.on('data', (d) => {
        stderr += d;
      });
      live.add(child);
      proc = child;
      exited = new Promise((resolve) =>
        child.once('exit', () => {
          live.delete(child);
          resolve();
        }),
      );
      for (let i = 0; i < 200; i++) {
        if (child.exitCode !== null || child.signalCode !== null) break;
        if (existsSync(socket) && (await canConnect(socket))) return;
        await sleep(25);
      }
      await server.stop();
      throw new Error(`p11-kit server did not start on ${socket}: ${stderr}`);
    },
    async stop() {
      const child = proc;
      if (!child) return;
      proc = null;
      killGroup(child, 'SIGTERM');
      const gone = await Promise.race([exited.then(() => true), sleep(2_000).then(() => false)]);
      if (!gone) {
        killGroup(child, 'SIGKILL');
        await exited;
      }
      // The group may still hold p11-kit-remote children that outlived the server: signal it once more.
      killGroup(child, 'SIGKILL');
      await rm(socket, { force: true });
    },
  };
  await server.start();
  return server;
}
