// A remote HSM that goes away and comes back, end to end: `serve` (vendor preset p11-kit) signs through
// p11-kit's RPC client against a real `p11-kit server` exporting a SoftHSM2 token. The server is stopped
// mid-load and started again: every answer meanwhile is 503 with Retry-After (never 500), /readyz says
// why, and signing resumes without a restart; every signature verifies, and no level is signed twice.
// The RPC does not carry CKM_EDDSA: the tz1 key is named at start and refused by mechanism.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifySignature } from '@taquito/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSign, type SignAnswer } from './helpers/http.js';
import { type OpsSigner, startOpsSigner } from './helpers/ops-signer.js';
import { type P11KitServer, startP11KitServer } from './helpers/p11-kit.js';
import { createToken, type TestToken } from './helpers/softhsm.js';
import { blockWith, consensus } from './helpers/tezos-vectors.js';

let token: TestToken;
let p11: P11KitServer;
let s: OpsSigner;
let served: string[];
let tz1: string;

beforeAll(async () => {
  token = await createToken({ label: 'p11kit-outage' });
  p11 = await startP11KitServer(token);
  const config = writeConfig(token, p11);
  s = await startOpsSigner(config, { HSM_PIN: token.pin });
  served = /keys: ?(.*)\n/.exec(s.stdout())![1]!.split(' ').filter(Boolean);
  // The JSON log is written in batches: wait for the start-up warning.
  for (let i = 0; i < 100 && !/"mechanism":"CKM_EDDSA"/.test(s.stdout()); i++) await sleep(20);
  tz1 = /"pkh":"(tz1[1-9A-HJ-NP-Za-km-z]{33})"/.exec(s.stdout())?.[1] ?? '';
}, 60_000);

afterAll(async () => {
  await s?.stop();
  await p11?.stop();
  await token?.cleanup();
});

/** A serve config for `t` through the p11-kit client module (vendor preset), with a utility listener. */
function writeConfig(t: TestToken, server: P11KitServer): string {
  const config = join(t.dir, 'signer.yaml');
  writeFileSync(
    config,
    [
      'server:',
      '  address: 127.0.0.1:0',
      '  utility_address: 127.0.0.1:0',
      'hsm:',
      '  vendor: p11-kit',
      `  token_label: ${t.tokenLabel}`,
      '  pin_env: HSM_PIN',
      '  sessions: 2',
      '  env:',
      `    P11_KIT_SERVER_ADDRESS: ${server.env.P11_KIT_SERVER_ADDRESS}`,
      'watermark:',
      '  backend: file',
      '  dir: ./wm',
      '',
    ].join('\n'),
  );
  return config;
}

function post(pkh: string, hex: string): Promise<SignAnswer> {
  return postSign(s.url, pkh, hex);
}

async function readyz(
  signer: OpsSigner = s,
): Promise<{ status: number; body: { checks: Record<string, string> } }> {
  const r = await fetch(`${signer.utilityUrl}/readyz`);
  return { status: r.status, body: (await r.json()) as { checks: Record<string, string> } };
}

const KINDS = {
  block: (level: number, variant = 0) => blockWith({ level, round: 0, payloadRound: variant }),
  preattestation: (level: number, variant = 0) => consensus(0x12, 20, level, 0, 7 + variant),
  attestation: (level: number, variant = 0) => consensus(0x13, 21, level, 0, 7 + variant),
} as const;

describe('p11-kit RPC token', () => {
  it('names the key whose mechanism the RPC lacks at start, and refuses it by mechanism', async () => {
    expect(tz1).toMatch(/^tz1/);
    const warning = JSON.parse(
      s
        .stdout()
        .split('\n')
        .find((l) => l.includes('"mechanism":"CKM_EDDSA"'))!,
    );
    expect(warning).toMatchObject({ severity: 'warn', pkh: tz1, curve: 'ed25519', mechanism: 'CKM_EDDSA' });
    expect(served.map((k) => k.slice(0, 3)).sort()).toEqual(['tz2', 'tz3']);
    for (const r of [
      await post(tz1, KINDS.block(5)),
      await fetch(`${s.url}/keys/${tz1}`).then(async (x) => ({
        status: x.status,
        retryAfter: x.headers.get('retry-after'),
        body: await x.json(),
      })),
    ]) {
      expect(r.status).toBe(503);
      expect(r.retryAfter).toBeNull(); // retrying cannot help until the setup changes
      expect(r.body).toEqual([
        {
          kind: 'temporary',
          id: 'failure',
          msg: `key ${tz1} (ed25519) cannot sign here: the token does not offer CKM_EDDSA`,
        },
      ]);
    }
    const ready = await readyz();
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toMatchObject({ hsm: 'ok', keys: 'ok' });
  });

  it('server stopped mid-load: 503 + Retry-After meanwhile, signing again after it is back, no restart', async () => {
    const publicKeys = new Map<string, string>();
    for (const pkh of served) {
      const r = await fetch(`${s.url}/keys/${pkh}`);
      publicKeys.set(pkh, ((await r.json()) as { public_key: string }).public_key);
    }
    const t0 = performance.now();
    const at = () => Math.round(performance.now() - t0);
    // `sent`: when the request left; `t`: when its answer came.
    const timeline: Array<
      { sent: number; t: number; pkh: string; kind: string; level: number } & SignAnswer
    > = [];
    const probes: Array<{ t: number; status: number; hsm: string }> = [];
    const lastSigned = new Map<string, number>();
    let done = false;
    let restartedAt = Number.POSITIVE_INFINITY;

    // One sequential client per key and kind (a baker never signs one slot out of order): six in flight.
    const clients = served.flatMap((pkh) =>
      (Object.keys(KINDS) as Array<keyof typeof KINDS>).map(async (kind) => {
        for (let level = 1000; !done; level++) {
          const hex = KINDS[kind](level);
          const sent = at();
          const answer = await post(pkh, hex);
          timeline.push({ sent, t: at(), pkh, kind, level, ...answer });
          if (answer.status === 200) {
            const sig = (answer.body as { signature: string }).signature;
            expect(verifySignature(hex, publicKeys.get(pkh)!, sig)).toBe(true);
            lastSigned.set(`${pkh}/${kind}`, level);
          } else {
            await sleep(20);
          }
        }
      }),
    );
    const poller = (async () => {
      while (!done) {
        const r = await readyz();
        probes.push({ t: at(), status: r.status, hsm: r.body.checks.hsm ?? '' });
        await sleep(100);
      }
    })();

    try {
      await sleep(500);
      await p11.stop();
      const stoppedAt = at();
      await sleep(1500);
      await p11.start();
      restartedAt = at();
      // Until each key has signed 30 times since the server came back (bounded: fails, not hangs).
      for (let i = 0; i < 300; i++) {
        const since = timeline.filter((e) => e.t > restartedAt && e.status === 200);
        if (served.every((pkh) => since.filter((e) => e.pkh === pkh).length >= 30)) break;
        await sleep(50);
      }
      done = true;
      await Promise.all([...clients, poller]);

      const statuses = new Set(timeline.map((e) => e.status));
      expect([...statuses].sort()).toEqual([200, 503]);
      for (const e of timeline.filter((x) => x.status === 503)) {
        expect(e.retryAfter).toBe('1');
        expect((e.body as Array<{ msg: string }>)[0]!.msg).toMatch(/^HSM unavailable: /);
      }
      // Sent while the server was down: a request already in flight when it stopped may have signed.
      const down = timeline.filter((e) => e.sent > stoppedAt && e.t < restartedAt);
      expect(down.length).toBeGreaterThan(0);
      expect(down.every((e) => e.status === 503)).toBe(true);
      // Every client ends signing again.
      for (const pkh of served) {
        for (const kind of Object.keys(KINDS)) {
          const mine = timeline.filter((e) => e.pkh === pkh && e.kind === kind);
          expect(mine.at(-1)!.status).toBe(200);
        }
      }
      const notReady = probes.filter((p) => p.status === 503);
      expect(notReady.length).toBeGreaterThan(0);
      expect(notReady[0]!.hsm).toMatch(/unavailable|no token|CKR_/);
      const last = await readyz();
      expect(last.status).toBe(200);
      expect(last.body.checks.hsm).toBe('ok');

      // Nothing signed twice: every 200 was a fresh signature (the signer's own count agrees), and a
      // different payload at the last signed level of each slot is refused by the watermark.
      const metrics = await (await fetch(`${s.utilityUrl}/metrics`)).text();
      const signedCount = metrics
        .split('\n')
        .filter((l) => l.startsWith('tezos_signer_requests_total{') && l.includes('outcome="signed"'))
        .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
      expect(signedCount).toBe(timeline.filter((e) => e.status === 200).length);
      expect(metrics).toMatch(/^tezos_signer_hsm_outages_total [1-9]/m);
      expect(metrics).toMatch(/^tezos_signer_hsm_unavailable 0$/m);
      for (const [slot, level] of lastSigned) {
        const [pkh, kind] = slot.split('/') as [string, keyof typeof KINDS];
        expect((await post(pkh, KINDS[kind](level, 1))).status).toBe(409);
      }
      // stderr carries JSON lines only (no multi-line dumps).
      for (const line of s.stderr().split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();

      // The timeline, in 250 ms buckets, for the operator docs: status counts and /readyz.
      const buckets = new Map<number, string[]>();
      for (const e of timeline) {
        const b = Math.floor(e.t / 250) * 250;
        buckets.set(b, [...(buckets.get(b) ?? []), String(e.status)]);
      }
      const rows = [...buckets].map(([b, st]) => {
        const count = (x: string) => st.filter((v) => v === x).length;
        const ready = probes.filter((p) => p.t >= b && p.t < b + 250).map((p) => p.status);
        return `${b}ms 200:${count('200')} 503:${count('503')} readyz:${ready.join(',')}`;
      });
      console.log(`stopped at ${stoppedAt} ms, restarted at ${restartedAt} ms\n${rows.join('\n')}`);
    } finally {
      done = true;
      if (!p11.running()) await p11.start();
    }
  }, 60_000);

  it('a token with no key it can sign with: served, but an error line at start and /readyz 503', async () => {
    const only = await createToken({
      label: 'p11kit-eddsa-only',
      keys: [{ curve: 'ed25519', label: 'k', id: '09' }],
    });
    const server = await startP11KitServer(only);
    let signer: OpsSigner | null = null;
    try {
      signer = await startOpsSigner(writeConfig(only, server), { HSM_PIN: only.pin });
      expect(/keys: ?(.*)\n/.exec(signer.stdout())![1]!.trim()).toBe('');
      for (let i = 0; i < 100 && !/"severity":"error"/.test(signer.stdout()); i++) await sleep(20);
      const line = signer
        .stdout()
        .split('\n')
        .find((l) => l.includes('"severity":"error"'))!;
      expect(JSON.parse(line).msg).toBe(
        'no usable key: every request will be refused and /readyz answers 503',
      );
      const ready = await readyz(signer);
      expect(ready.status).toBe(503);
      expect(ready.body.checks.hsm).toBe('ok');
      expect(ready.body.checks.keys).toMatch(
        /^no key the token can sign with \(tz1\w{33} needs CKM_EDDSA\)$/,
      );
    } finally {
      await signer?.stop();
      await server.stop();
      await only.cleanup();
    }
  }, 60_000);
});
