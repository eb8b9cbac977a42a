// A throw-away tpm2-pkcs11 token on a software TPM: swtpm on two free loopback ports, a private D-Bus
// session bus, tpm2-abrmd on it (the library cannot share swtpm's one connection directly: addtoken
// fails with "out of memory for object contexts"), and a tpm2_ptool store in a temp dir. Nothing global
// is set: `env` holds the variables the library and the tools read. stop() ends all three processes.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { VENDOR_LIBRARIES } from '../../src/config/vendors.js';
import { type Daemon, startDaemon, waitFor } from './daemon.js';
import { freePort } from './postgres.js';

const run = promisify(execFile);

export const TPM2_LIBRARY = VENDOR_LIBRARIES.tpm2![0]!;

export interface TpmToken {
  dir: string;
  library: string;
  tokenLabel: string;
  pin: string;
  soPin: string;
  /** TPM2_PKCS11_TCTI, TPM2_PKCS11_STORE, DBUS_SESSION_BUS_ADDRESS (and TPM2TOOLS_TCTI for the tools). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Fails (never skips) when a part is missing: the suite must not pass without the token it tests. */
function requireTools(): void {
  for (const path of [
    TPM2_LIBRARY,
    '/usr/bin/swtpm',
    '/usr/sbin/tpm2-abrmd',
    '/usr/bin/dbus-daemon',
    '/usr/bin/dbus-send',
    '/usr/bin/tpm2_ptool',
  ]) {
    if (!existsSync(path)) {
      throw new Error(
        `${path} is missing: install swtpm, tpm2-abrmd, libtpm2-pkcs11-tools, dbus (make sysdeps)`,
      );
    }
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free port whose next one is free too: the swtpm TCTI finds the control channel at port + 1. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && (await canListen(port + 1))) return port;
  }
}

async function tool(cmd: string, args: string[], env: Record<string, string>): Promise<void> {
  try {
    await run(cmd, args, { env: { ...process.env, ...env } });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args[0]} failed: ${e.stderr || e.message}`);
  }
}

export async function startTpmToken(opts: { label?: string; pin?: string } = {}): Promise<TpmToken> {
  requireTools();
  const dir = await mkdtemp(join(tmpdir(), 'tpm2-'));
  const daemons: Daemon[] = [];
  const stop = async () => {
    for (const d of daemons.reverse()) await d.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await mkdir(join(dir, 'state'));
    await mkdir(join(dir, 'store'));
    const port = await freePortPair();
    const swtpm = startDaemon('swtpm', [
      'socket',
      '--tpm2',
      '--tpmstate',
      `dir=${join(dir, 'state')}`,
      '--server',
      `type=tcp,port=${port},bindaddr=127.0.0.1`,
      '--ctrl',
      `type=tcp,port=${port + 1},bindaddr=127.0.0.1`,
      '--flags',
      'not-need-init,startup-clear',
    ]);
    daemons.push(swtpm);
    await waitFor('swtpm', () => portOpen(port), swtpm);

    const bus = `unix:path=${join(dir, 'bus')}`;
    const dbus = startDaemon('dbus-daemon', ['--session', '--nofork', `--address=${bus}`]);
    daemons.push(dbus);
    await waitFor('dbus-daemon', async () => existsSync(join(dir, 'bus')), dbus);

    const env: Record<string, string> = {
      DBUS_SESSION_BUS_ADDRESS: bus,
      TPM2_PKCS11_TCTI: 'tabrmd:bus_type=session',
      TPM2TOOLS_TCTI: 'tabrmd:bus_type=session',
      TPM2_PKCS11_STORE: join(dir, 'store'),
    };
    const abrmd = startDaemon(
      'tpm2-abrmd',
      ['--session', '--allow-root', `--tcti=swtpm:host=127.0.0.1,port=${port}`],
      { ...process.env, ...env },
    );
    daemons.push(abrmd);
    const owned = async () => {
      const r = await run(
        'dbus-send',
        [
          '--session',
          '--print-reply',
          '--dest=org.freedesktop.DBus',
          '/org/freedesktop/DBus',
          'org.freedesktop.DBus.NameHasOwner',
          'string:com.intel.tss2.Tabrmd',
        ],
        { env: { ...process.env, ...env } },
      );
      return /boolean true/.test(r.stdout);
    };
    await waitFor('tpm2-abrmd', owned, abrmd);

    const t: TpmToken = {
      dir,
      library: TPM2_LIBRARY,
      tokenLabel: opts.label ?? 'baker',
      pin: opts.pin ?? '1234',
      soPin: '5678',
      env,
      stop,
    };
    const store = ['--path', env.TPM2_PKCS11_STORE!];
    await tool('tpm2_ptool', ['init', ...store], env);
    await tool(
      'tpm2_ptool',
      [
        'addtoken',
        '--pid=1',
        `--label=${t.tokenLabel}`,
        `--userpin=${t.pin}`,
        `--sopin=${t.soPin}`,
        ...store,
      ],
      env,
    );
    return t;
  } catch (err) {
    await stop();
    throw err;
  }
}
