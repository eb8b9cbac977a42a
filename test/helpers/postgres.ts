// A real, throw-away PostgreSQL server for tests (issue #6): Debian's binaries, a temp data directory,
// a free port on 127.0.0.1, fsync on. As root the server runs as the `postgres` user (initdb refuses root).
// Missing binaries are an error, never a skip: the suite must not pass without the database it tests.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PgServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust auth on loopback). */
  url: string;
  port: number;
  /** URL of another database on the same server. */
  urlFor(database: string): string;
  /** Create a fresh database and return its URL. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (SIGINT): aborts open transactions, waits for exit. */
  stop(): Promise<void>;
  /** Start again on the same port and data directory; resolves when it accepts connections. */
  start(): Promise<void>;
  /** SIGKILL the postmaster (crash); start() recovers from the WAL. */
  kill(): Promise<void>;
  /** Immediate shutdown (SIGQUIT): no checkpoint, sessions cut, as a lost machine looks to clients. */
  stopImmediate(): Promise<void>;
  /** Stop and delete the data directory. */
  dispose(): Promise<void>;
}

/** Directory of initdb/postgres: $PG_BIN, else the newest /usr/lib/postgresql/N/bin, else pg_config. */
export function findPgBin(): string {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  }
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    // pg_config absent: only the candidates above.
  }
  const found = candidates.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'postgres')));
  if (!found) {
    throw new Error(
      'PostgreSQL server binaries (initdb, postgres) not found; install them (apt-get install postgresql) ' +
        'or set PG_BIN to their directory',
    );
  }
  return found;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** uid/gid to run the server as: the `postgres` user when we are root, else ourselves. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

async function waitReady(url: string, proc: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`postgres exited (${proc.exitCode ?? proc.signalCode}) while starting:\n${log()}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`postgres did not become ready:\n${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Where a server's files live and whom it runs as. */
export interface PgCluster {
  bin: string;
  dir: string;
  data: string;
  user: { uid: number; gid: number } | undefined;
}

/** A temp directory for a data directory, owned by the user the server runs as. */
export function clusterDir(): PgCluster {
  const bin = findPgBin();
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'tzsigner-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  return { bin, dir, data: join(dir, 'data'), user };
}

export async function startPostgres(): Promise<PgServer> {
  const cluster = clusterDir();
  const { bin, dir, data, user } = cluster;
  const spawnOpts = user ? { uid: user.uid, gid: user.gid } : {};
  // --no-sync only skips initdb's own final fsync of the template files; the server runs with fsync on.
  execFileSync(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
    {
      ...spawnOpts,
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: dir,
    },
  );
  const conf = [
    'fsync = on',
    'synchronous_commit = on',
    'full_page_writes = on',
    "listen_addresses = '127.0.0.1'",
    "unix_socket_directories = ''",
    'max_connections = 200',
    'shared_buffers = 32MB',
  ];
  writeFileSync(join(data, 'postgresql.auto.conf'), `${conf.join('\n')}\n`);
  return runPostgres(cluster);
}

/** Start a server on an existing data directory (a fresh port) and return its controls. */
export async function runPostgres(cluster: PgCluster): Promise<PgServer> {
  const { bin, dir, data, user } = cluster;
  const spawnOpts = user ? { uid: user.uid, gid: user.gid } : {};
  const port = await freePort();
  const urlFor = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  const url = urlFor('postgres');
  let proc: ChildProcess | null = null;
  let output = '';

  const start = async () => {
    if (proc) throw new Error('postgres already running');
    output = '';
    const p = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port)], {
      ...spawnOpts,
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    p.stdout?.on('data', (d) => {
      output += d;
    });
    p.stderr?.on('data', (d) => {
      output += d;
    });
    proc = p;
    // If the test process dies without dispose(), do not leave a server behind (SIGQUIT: immediate stop).
    const reap = () => p.kill('SIGQUIT');
    process.once('exit', reap);
    p.once('exit', () => process.off('exit', reap));
    await waitReady(url, p, () => output.slice(-4000));
  };

  const signal = async (sig: NodeJS.Signals) => {
    const p = proc;
    if (!p) return;
    proc = null;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill(sig);
    await exited;
    if (sig === 'SIGKILL') await waitChildrenGone(dir);
  };

  await start();
  return {
    url,
    port,
    urlFor,
    async createDatabase(name) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`);
      } finally {
        await c.end();
      }
      return urlFor(name);
    },
    stop: () => signal('SIGINT'),
    start,
    kill: () => signal('SIGKILL'),
    stopImmediate: () => signal('SIGQUIT'),
    async dispose() {
      await signal('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * After SIGKILL of the postmaster its backends notice and exit on their own; the data directory is only
 * reusable once they are gone (postmaster.pid / shared memory). Wait for processes whose cwd is the dir.
 */
async function waitChildrenGone(dir: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    let alive = false;
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)) alive = true;
      } catch {
        // process gone or not ours to read
      }
    }
    if (!alive) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
