// Where one POST /keys/<pkh> spends its time in the server, one request at a time (docs/performance.md,
// "Per-request cost around the HSM"). The server is wired in this process exactly as `serve` wires it
// (buildService: audit log to /dev/null, memory watermark, P-256, 2 sessions); the client is the load
// generator in its own process. Timestamps come from listeners and wrappers put around the running
// service's objects here (the socket, the request, the signer, its key, its device) and from the addon's
// stage trace (native/stage_trace.h): nothing in src/ is traced. Medians per stage, in µs.
// Environment: SIGN_AHEAD=0 (hsm.sign_ahead false; on by default).
//   node --import tsx bench/request-stages.ts [SECONDS=5] [ROUNDS=1]
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Closers } from '../src/cli/closers.js';
import { buildService } from '../src/cli/service.js';
import { loadConfig } from '../src/config/load.js';
import { addon, STAGES } from '../src/hsm/native.js';
import { closeLogger, createLogger } from '../src/log/logger.js';
import type { HsmSignerKey } from '../src/signer/keyring.js';
import type { SigningDevice } from '../src/signer/signer.js';
import { createToken } from '../test/helpers/softhsm.js';
import { checkSample } from './load/check-signature.js';
import { productConfig } from './load/product.js';
import { runLoad } from './load/run-load.js';

const SECONDS = Number(process.argv[2] ?? 5);
const ROUNDS = Number(process.argv[3] ?? 1);
const now = () => Number(process.hrtime.bigint());

// The points stamped per request, in the order they happen.
const POINTS = [
  'socketData', // first bytes of the request read from the socket
  'request', // node's HTTP parser emitted 'request'
  'fetch', // @hono/node-server called app.fetch
  'signerSign', // the route called Signer.sign (middleware, body, JSON, hex done)
  'keySign', // the signer asked the key to sign (hash, decode, policy, watermark done)
  'deviceSign', // the key asked the device (the HSM wrapper)
  // Not 'queued': the JS thread stamps it after waking the worker, which may run (and stamp 'dequeued')
  // before the JS thread gets its core back.
  ...STAGES.filter((s) => s !== 'queued').map((s) => `native.${s}`),
  'deviceResolved', // the device's promise resumed its awaiter
  'keyResolved', // the key's signature checked and encoded
  'signerResolved', // Signer.sign returned (watermark recorded)
  'finish', // the answer handed to the socket
] as const;
type Point = (typeof POINTS)[number];

let cur: Partial<Record<Point, number>> = {};
const done: Array<Partial<Record<Point, number>>> = [];

const t = await createToken({ label: 'bench-stages' });
process.env.HSM_PIN = t.pin;
const closers = new Closers();
const logger = createLogger({ dest: '/dev/null' });
try {
  const signAhead = process.env.SIGN_AHEAD === '0' ? false : undefined; // the default: on
  const config = await loadConfig(productConfig(t.dir, 'stages', t, { backend: 'memory' }, 2, signAhead));
  const { signer, app } = await buildService(config, { closers, logger, warn: () => {} });

  // Wrappers on this process's objects only: the signer, each HSM key, the device.
  const device = (signer as unknown as { device: SigningDevice }).device;
  const deviceSign = device.sign.bind(device);
  device.sign = async (key, data, deadline) => {
    cur.deviceSign = now();
    const sig = await deviceSign(key, data, deadline);
    cur.deviceResolved = now();
    const at = addon.stageTrace(true);
    STAGES.forEach((s, i) => {
      if (at[i] && s !== 'queued') cur[`native.${s}` as Point] = at[i];
    });
    return sig;
  };
  for (const k of signer.keys.values()) {
    const key = k as HsmSignerKey & { sign: HsmSignerKey['sign'] };
    const sign = key.sign;
    key.sign = async (msg, digest, deadline) => {
      cur.keySign = now();
      const sig = await sign(msg, digest, deadline);
      cur.keyResolved = now();
      return sig;
    };
  }
  const signerSign = signer.sign.bind(signer);
  signer.sign = async (pkh, msg, note) => {
    cur.signerSign = now();
    const sig = await signerSign(pkh, msg, note);
    cur.signerResolved = now();
    return sig;
  };
  const fetch = app.fetch;
  const server = serve({
    fetch: (req, env) => {
      cur.fetch = now();
      return fetch(req, env);
    },
    hostname: '127.0.0.1',
    port: 0,
  }) as Server;
  closers.add('server', () => new Promise<void>((r) => server.close(() => r())));
  server.on('connection', (socket) => {
    socket.prependListener('data', () => {
      cur = { socketData: now() };
    });
  });
  server.prependListener('request', (_req, res) => {
    cur.request = now();
    const mine = cur;
    res.once('finish', () => {
      mine.finish = now();
      done.push(mine);
    });
  });
  await new Promise<void>((r) => server.once('listening', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pkh = [...signer.keys.keys()].find((k) => k.startsWith('tz3'))!;

  addon.stageTrace(true);
  const p50s: number[] = [];
  const traced = done.length;
  const cpu0 = process.threadCpuUsage();
  for (let round = 0; round < ROUNDS; round++) {
    const r = await runLoad({
      url,
      pkh,
      clients: 1,
      seconds: SECONDS,
      warmupSeconds: 1,
      slotsPerClient: 1,
      chainBase: round + 1,
      levelBase: 1,
    });
    await checkSample(url, pkh, r);
    p50s.push(r.p50Ms);
  }
  addon.stageTrace(false);
  const cpu = process.threadCpuUsage(cpu0);
  const served = done.length - traced;

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const complete = done.slice(Math.floor(done.length / 5)).filter((d) => POINTS.every((p) => d[p]));
  console.log(
    `${complete.length} requests traced; client p50 ${p50s.map((x) => x.toFixed(3)).join(' ')} ms; ` +
      `JS thread CPU ${((cpu.user + cpu.system) / served).toFixed(1)} µs/request ` +
      `(user ${(cpu.user / served).toFixed(1)}, system ${(cpu.system / served).toFixed(1)}; ${served} served)`,
  );
  console.log('| stage | µs (median) |\n|---|---:|');
  for (let i = 1; i < POINTS.length; i++) {
    const a = POINTS[i - 1]!;
    const b = POINTS[i]!;
    const us = median(complete.map((d) => (d[b]! - d[a]!) / 1000));
    console.log(`| ${a} → ${b} | ${us.toFixed(1)} |`);
  }
  console.log('| **grouped** | |');
  const GROUPS: Array<[string, Point, Point]> = [
    ['HTTP in (node, @hono/node-server)', 'socketData', 'fetch'],
    ['handler before the HSM (routing, body, hash, decode, policy, watermark)', 'fetch', 'deviceSign'],
    ['hand-off to the worker (addon entry, queue, wake-up)', 'deviceSign', 'native.dequeued'],
    ['token and signature check (C_SignInit, C_Sign, verify)', 'native.dequeued', 'native.verified'],
    ['hand-off back (completion, wake-up, promise)', 'native.verified', 'deviceResolved'],
    ['handler after the HSM (encode, watermark record)', 'deviceResolved', 'signerResolved'],
    ['answer out (serialise, write)', 'signerResolved', 'finish'],
    ['whole request', 'socketData', 'finish'],
  ];
  for (const [name, a, b] of GROUPS) {
    const us = median(complete.map((d) => (d[b]! - d[a]!) / 1000));
    console.log(`| ${name} | ${us.toFixed(1)} |`);
  }
} finally {
  await closers.closeAll();
  await closeLogger(logger);
  await t.cleanup();
}
