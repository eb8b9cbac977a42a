// PostgreSQL failover under load: two `serve` processes on one SoftHSM2 token share a watermark whose URL
// names a primary and its synchronous standby (test/helpers/pg-standby.ts). The primary is stopped in
// immediate mode and the standby promoted: the signers answer 503 + Retry-After meanwhile (never 500,
// never a signature without a committed mark), find the new primary by themselves, and every mark
// acknowledged before is there. The old primary started again without being rejoined gets no marks.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifySignature } from '@taquito/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATERMARK_TABLE } from '../src/watermark/postgres-schema.js';
import { postSign, type SignAnswer } from './helpers/http.js';
import { type OpsSigner, type OpsToken, opsToken, startOpsSigner } from './helpers/ops-signer.js';
import { type SyncPair, sql, startSyncPair } from './helpers/pg-standby.js';
import { blockWith, consensus } from './helpers/tezos-vectors.js';

const DB = 'failover';
let pair: SyncPair;
let t: OpsToken;
const signers: OpsSigner[] = [];
const publicKeys = new Map<string, string>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A config for one signer: the multi-host URL, a utility listener, the log in a file we can read. */
function signerConfig(id: string): { file: string; log: string } {
  const file = join(t.dir, `failover-${id}.yaml`);
  const log = join(t.dir, `failover-${id}.log`);
  const url = pair.multiHostUrl(
    DB,
    `?target_session_attrs=read-write&signer_id=${id}&connect_timeout_ms=1000&replication_check_interval_ms=500`,
  );
  writeFileSync(
    file,
    `server:\n  address: 127.0.0.1:0\n  utility_address: 127.0.0.1:0\n${t.hsmYaml}` +
      `watermark:\n  backend: postgres\n  url: ${url}\nlog:\n  file: ${log}\n`,
  );
  return { file, log };
}

/** Retries `check` for up to 10 s: the log is written asynchronously, in batches. */
async function eventually(check: () => void): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

const logs = new Map<OpsSigner, string>();

async function startOne(id: string): Promise<OpsSigner> {
  const { file, log } = signerConfig(id);
  const s = await startOpsSigner(file);
  logs.set(s, log);
  return s;
}

const logText = (s: OpsSigner) => {
  try {
    return readFileSync(logs.get(s)!, 'utf8');
  } catch {
    return '';
  }
};

beforeAll(async () => {
  pair = await startSyncPair(DB);
  t = await opsToken();
  signers.push(await startOne('server-a'), await startOne('server-b'));
  for (const pkh of Object.values(t.pkhs)) {
    const r = await fetch(`${signers[0]!.url}/keys/${pkh}`);
    publicKeys.set(pkh, ((await r.json()) as { public_key: string }).public_key);
  }
});

afterAll(async () => {
  let codes: Array<number | string> = [];
  try {
    codes = await Promise.all(signers.map((s) => s.stop()));
  } finally {
    await pair?.dispose();
  }
  expect(codes.every((c) => c === 0)).toBe(true);
});

function post(s: OpsSigner, pkh: string, hex: string): Promise<SignAnswer> {
  return postSign(s.url, pkh, hex);
}

async function readyz(s: OpsSigner) {
  const r = await fetch(`${s.utilityUrl}/readyz`);
  return {
    status: r.status,
    body: (await r.json()) as { checks: Record<string, string>; warnings?: Record<string, string> },
  };
}

async function degradedGauge(s: OpsSigner): Promise<number | undefined> {
  const text = await (await fetch(`${s.utilityUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('tezos_signer_watermark_durability_degraded '));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

/** One baker loop: consensus operations on one key and kind at rising levels, retrying a 503. */
interface Loop {
  signer: OpsSigner;
  pkh: string;
  magic: number;
  tag: number;
}

interface Event {
  loop: number;
  at: number;
  status: number;
  retryAfter: string | null;
  /** The same bytes were answered 503 just before. */
  retry: boolean;
}

class BakerLoad {
  readonly events: Event[] = [];
  /** Last acknowledged (200, verified) level per loop. */
  readonly acked = new Map<number, number>();
  private running = false;
  private workers: Promise<void>[] = [];

  constructor(readonly loops: Loop[]) {}

  start(fromLevel: number): void {
    this.running = true;
    this.workers = this.loops.map((l, i) => this.worker(l, i, fromLevel));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  private async worker(l: Loop, i: number, fromLevel: number): Promise<void> {
    let level = fromLevel;
    let retry = false;
    while (this.running) {
      const hex = consensus(l.magic, l.tag, level, 0);
      let a: SignAnswer;
      try {
        a = await post(l.signer, l.pkh, hex);
      } catch (err) {
        throw new Error(`signer did not answer: ${(err as Error).message}`);
      }
      this.events.push({ loop: i, at: Date.now(), status: a.status, retryAfter: a.retryAfter, retry });
      retry = a.status === 503;
      if (a.status === 409) {
        // A 503 whose reservation did commit (its acknowledgement was lost in the switch): the height is
        // reserved with no signature recorded, so the same bytes are refused; the baker moves on.
        level++;
      } else if (a.status === 200) {
        // Every acknowledged signature is valid for exactly these bytes.
        expect(
          verifySignature(hex, publicKeys.get(l.pkh)!, (a.body as { signature: string }).signature),
        ).toBe(true);
        this.acked.set(i, level);
        level++;
      } else {
        // A 503 is retried with the same bytes (what octez-baker does).
        await sleep(50);
      }
    }
  }

  /** When loop i was first answered 200 after `t`, or undefined. */
  firstOkAfter(i: number, t: number): number | undefined {
    return this.events.find((e) => e.loop === i && e.at > t && e.status === 200)?.at;
  }
}

describe('failover of the watermark database under load', () => {
  const timeline: Record<string, number> = {};

  it('before: ready, no durability warning (the primary has its synchronous standby)', async () => {
    for (const s of signers) {
      const r = await readyz(s);
      expect(r.status).toBe(200);
      expect(r.body.warnings).toBeUndefined();
      expect(await degradedGauge(s)).toBe(0);
    }
  });

  it('primary stopped (immediate), standby promoted: 503 + Retry-After meanwhile, then signing resumes by itself', async () => {
    const [a, b] = signers as [OpsSigner, OpsSigner];
    const load = new BakerLoad([
      { signer: a, pkh: t.pkhs.tz1, magic: 0x13, tag: 21 },
      { signer: a, pkh: t.pkhs.tz2, magic: 0x13, tag: 21 },
      { signer: b, pkh: t.pkhs.tz3, magic: 0x13, tag: 21 },
      { signer: b, pkh: t.pkhs.tz1, magic: 0x12, tag: 20 },
    ]);
    load.start(100);
    try {
      await failover(load);
    } finally {
      await load.stop();
    }
  });

  /** Load running; primary stopped, standby promoted, until every loop signs again; then checks. */
  async function failover(load: BakerLoad): Promise<void> {
    // A few signatures on every loop first (however slow the machine is today).
    const warm = Date.now() + 30_000;
    while ([0, 1, 2, 3].some((i) => (load.acked.get(i) ?? 0) < 103)) {
      if (Date.now() > warm) throw new Error('the load did not start');
      await sleep(50);
    }
    const ackedBefore = new Map(load.acked);

    timeline.stop = Date.now();
    await pair.primary.stopImmediate();
    timeline.stopped = Date.now();
    // While no server accepts writes, /readyz names the cause: the primary unreachable, the standby in recovery.
    await sleep(500);
    for (const s of signers) {
      const r = await readyz(s);
      expect(r.status).toBe(503);
      expect(r.body.checks.watermark).toMatch(/in recovery/);
      expect(r.body.checks.hsm).toBe('ok');
    }
    timeline.promote = Date.now();
    await pair.promote();
    timeline.promoted = Date.now();
    // Each loop gets a signature again without any restart (bounded wait: liveness, not a speed check).
    const deadline = Date.now() + 30_000;
    while (load.loops.some((_, i) => load.firstOkAfter(i, timeline.promoted!) === undefined)) {
      if (Date.now() > deadline) throw new Error('signing did not resume after the promotion');
      await sleep(50);
    }
    await sleep(500);
    await load.stop();

    // Never anything but 200 or 503, every 503 with Retry-After, and some 503s during the switch; a 409
    // only for the retry of bytes just answered 503 (a reservation whose commit was not acknowledged).
    const statuses = new Set(load.events.filter((e) => e.status !== 409).map((e) => e.status));
    expect([...statuses].sort()).toEqual([200, 503]);
    expect(load.events.filter((e) => e.status === 409).every((e) => e.retry)).toBe(true);
    expect(load.events.filter((e) => e.status === 503).every((e) => /^\d+$/.test(e.retryAfter ?? ''))).toBe(
      true,
    );
    // No 200 between the primary's stop and the promotion: nothing was committed anywhere then.
    expect(
      load.events.some((e) => e.status === 200 && e.at > timeline.stopped! && e.at < timeline.promote!),
    ).toBe(false);

    // Every mark acknowledged before the failover is on the new primary: a different payload there → 409,
    // on both signers; and the row is at least that high.
    for (const [i, level] of ackedBefore) {
      const l = load.loops[i]!;
      for (const s of signers) {
        const other = await post(s, l.pkh, consensus(l.magic, l.tag, level, 0, 8));
        expect(other.status).toBe(409);
      }
    }
    for (const [i, level] of load.acked) {
      const l = load.loops[i]!;
      const rows = await sql(
        pair.standby.urlFor(DB),
        `SELECT level FROM ${WATERMARK_TABLE} WHERE pkh = $1 AND kind = $2`,
        [l.pkh, l.tag === 20 ? 'preattestation' : 'attestation'],
      );
      expect(rows[0]?.level).toBeGreaterThanOrEqual(level);
    }
    const first503 = load.events.find((e) => e.status === 503)!.at;
    const resumed = Math.max(...load.loops.map((_, i) => load.firstOkAfter(i, timeline.promoted!)!));
    console.log(
      `failover timeline (ms): primary stopped +0, first 503 +${first503 - timeline.stop!}, promote called ` +
        `+${timeline.promote! - timeline.stop!}, promoted +${timeline.promoted! - timeline.stop!}, every loop ` +
        `signing again +${resumed - timeline.stop!} (${resumed - timeline.promoted!} after the promotion); ` +
        `${load.events.filter((e) => e.status === 200).length} signatures, ` +
        `${load.events.filter((e) => e.status === 503).length} 503s, ` +
        `${load.events.filter((e) => e.status === 409).length} 409s on a retry`,
    );
  }

  it('after: the new primary has no synchronous standby → still signing, warned at start and periodically, gauge 1, /readyz warnings', async () => {
    for (const s of signers) {
      const deadline = Date.now() + 10_000;
      let r = await readyz(s);
      while (!r.body.warnings && Date.now() < deadline) {
        await sleep(200);
        r = await readyz(s);
      }
      expect(r.status).toBe(200);
      expect(r.body.warnings?.watermark).toMatch(/no synchronous standby/);
      expect(await degradedGauge(s)).toBe(1);
    }
    // The periodic check repeats the warning in the log while it lasts.
    for (const s of signers) {
      await eventually(() =>
        expect(logText(s).match(/no synchronous standby/g)?.length ?? 0).toBeGreaterThanOrEqual(3),
      );
    }
  });

  it('after: 100 conflicting blocks at one height over both signers → exactly one signature', async () => {
    const pkh = t.pkhs.tz2;
    const blocks = Array.from({ length: 100 }, (_, i) =>
      blockWith({ level: 5000, round: 0, payloadRound: i }),
    );
    const results = await Promise.all(blocks.map((hex, i) => post(signers[i % 2]!, pkh, hex)));
    const ok = results.flatMap((r, i) => (r.status === 200 ? [{ r, hex: blocks[i]! }] : []));
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(99);
    const { signature } = ok[0]!.r.body as { signature: string };
    expect(verifySignature(ok[0]!.hex, publicKeys.get(pkh)!, signature)).toBe(true);
  });

  it('the old primary started again, not rejoined, never receives a mark', async () => {
    const oldUrl = pair.primary.urlFor(DB);
    await pair.primary.start();
    // Make it a fully writable split-brain primary: no synchronous standby to wait for either.
    await sql(pair.primary.url, 'ALTER SYSTEM RESET synchronous_standby_names');
    await sql(pair.primary.url, 'SELECT pg_reload_conf()');
    const snapshot = async () =>
      JSON.stringify(await sql(oldUrl, `SELECT * FROM ${WATERMARK_TABLE} ORDER BY chain_id, pkh, kind`));
    const before = await snapshot();

    // A signer started now, seeing both writable servers, takes the newer timeline and says why.
    const c = await startOne('server-c');
    signers.push(c);
    await eventually(() => expect(logText(c)).toMatch(/writable on timeline 1, behind .* on timeline 2/));
    expect((await post(c, t.pkhs.tz3, consensus(0x13, 21, 6000, 0))).status).toBe(200);

    // The new primary goes down: every connection attempt now reaches the old primary, which is refused.
    await pair.standby.stopImmediate();
    try {
      for (let i = 0; i < 10; i++) {
        for (const s of signers) {
          const a = await post(s, t.pkhs.tz3, consensus(0x13, 21, 6001 + i, 0));
          expect(a.status).toBe(503);
          expect(a.retryAfter).toMatch(/^\d+$/);
        }
        await sleep(100);
      }
      const r = await readyz(signers[0]!);
      expect(r.status).toBe(503);
      expect(r.body.checks.watermark).toMatch(/timeline 1, behind timeline 2/);
      expect(await snapshot()).toBe(before);
    } finally {
      await pair.standby.start();
    }
    // Back: signing resumes by itself on the new primary; the old one still has nothing new.
    const deadline = Date.now() + 30_000;
    for (const s of signers) {
      let status = 0;
      for (let level = 7000; status !== 200; level++) {
        if (Date.now() > deadline) throw new Error('signing did not resume');
        status = (await post(s, t.pkhs.tz3, consensus(0x13, 21, level, 0))).status;
        if (status !== 200) await sleep(100);
      }
    }
    expect(await snapshot()).toBe(before);
  });
});
