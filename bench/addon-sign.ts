// Signing throughput through the addon with the pool saturated, and the event-loop lag meanwhile; with
// --stages, where one sign's round trip goes (median per stage of sequential signs, native/stage_trace.h).
// Usage: node --import tsx bench/addon-sign.ts LIBRARY TOKEN_LABEL PIN CURVE SESSIONS SECONDS [INFLIGHT]
//        node --import tsx bench/addon-sign.ts --stages LIBRARY TOKEN_LABEL PIN CURVE SESSIONS COUNT [IDLE_MS]
// Environment: SIGN_AHEAD=0 (HsmOptions.signAhead false; on by default), NO_VERIFY=1 (HsmOptions.verifySignatures false).
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Hsm } from '../src/hsm/index.js';
import { addon, STAGES } from '../src/hsm/native.js';
import type { Curve, HsmKey } from '../src/hsm/types.js';

export interface AddonSignResult {
  sessions: number;
  signs: number;
  seconds: number;
  signsPerSec: number;
  /** Median time from sign() to its await resuming, in microseconds. */
  latencyP50Us: number;
  /** Event-loop delay beyond the sampling interval, p99 and max, in milliseconds. */
  lagP99Ms: number;
  lagMaxMs: number;
  /**
   * JS-thread CPU time per signature in microseconds (Linux: the main thread's utime+stime, unaffected by
   * other processes; elsewhere its event-loop utilisation): the addon's cost on the event loop.
   */
  jsMicrosPerSign: number;
  /** Process CPU time (every thread) per signature, in microseconds: compare with raw-sign.c's. */
  cpuMicrosPerSign: number;
}

export interface AddonSignOptions {
  library: string;
  tokenLabel: string;
  pin: string;
  curve: Curve;
  sessions: number;
  seconds: number;
  /** Requests kept in flight (default: 16 per session): enough to keep every session busy. */
  inflight?: number;
  /** HsmOptions.signAhead (the CLI turns it off with SIGN_AHEAD=0). */
  signAhead?: boolean;
  /** HsmOptions.verifySignatures, default true (the CLI reads NO_VERIFY=1): false, the addon without its check. */
  verifySignatures?: boolean;
}

/** utime + stime of a /proc stat file, seconds; null when it cannot be read (off Linux). */
function statCpuSeconds(path: string): number | null {
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
  } catch {
    return null;
  }
}

/** CPU seconds of a process's main thread, this one by default (/proc/PID/task/PID/stat), null off Linux. */
export function mainThreadCpuSeconds(pid = process.pid): number | null {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

/** CPU seconds of a whole process, every thread (/proc/PID/stat), null off Linux. */
export function processCpuSeconds(pid = process.pid): number | null {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

type OpenOptions = Pick<
  AddonSignOptions,
  'library' | 'tokenLabel' | 'pin' | 'curve' | 'sessions' | 'signAhead' | 'verifySignatures'
>;

async function openWithKey(o: OpenOptions): Promise<{ hsm: Hsm; key: HsmKey }> {
  const { library, tokenLabel, pin, sessions, signAhead, verifySignatures } = o;
  const hsm = await Hsm.open({ library, tokenLabel, pin, sessions, signAhead, verifySignatures });
  const key = (await hsm.keys()).find((k) => k.curve === o.curve);
  if (key) return { hsm, key };
  await hsm.close();
  throw new Error(`no ${o.curve} key on token ${tokenLabel}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

export interface StageResult {
  sessions: number;
  count: number;
  idleMs: number;
  /** Median microseconds per stage: JS sign() → native entry, then each native stage to the next, then
   * promise resolved → await resumed; `total` is the median of whole round trips (not the sum). */
  medianUs: Record<string, number>;
}

/**
 * `count` sequential signs (one in flight), each stage stamped by the addon (addon.stageTrace). With
 * `idleMs` > 0 the loop sleeps that long between signs, so the worker and the JS thread both go idle as
 * they do between one client's requests.
 */
export async function benchSignStages(
  o: Omit<AddonSignOptions, 'seconds' | 'inflight'> & { count: number; idleMs?: number },
): Promise<StageResult> {
  const { hsm, key } = await openWithKey(o);
  try {
    const digest = new Uint8Array(32).fill(0x5a);
    for (let i = 0; i < 200; i++) await hsm.sign(key, digest); // warm-up
    const names = ['js→call', ...STAGES.slice(1).map((s, i) => `${STAGES[i]}→${s}`), 'resolved→js', 'total'];
    const samples: number[][] = names.map(() => []);
    const idleMs = o.idleMs ?? 0;
    addon.stageTrace(true);
    try {
      for (let i = 0; i < o.count; i++) {
        if (idleMs > 0) await new Promise((r) => setTimeout(r, idleMs));
        const t0 = Number(process.hrtime.bigint());
        await hsm.sign(key, digest);
        const t1 = Number(process.hrtime.bigint());
        const at = addon.stageTrace(true);
        const points = [t0, ...at, t1];
        for (let s = 0; s + 1 < points.length; s++)
          samples[s]?.push(((points[s + 1] ?? 0) - (points[s] ?? 0)) / 1000);
        samples[names.length - 1]?.push((t1 - t0) / 1000);
      }
    } finally {
      addon.stageTrace(false);
    }
    const medianUs: Record<string, number> = {};
    names.forEach((n, i) => {
      medianUs[n] = Number(median(samples[i] ?? []).toFixed(1));
    });
    return { sessions: o.sessions, count: o.count, idleMs, medianUs };
  } finally {
    await hsm.close();
  }
}

export async function benchAddonSign(o: AddonSignOptions): Promise<AddonSignResult> {
  const { hsm, key } = await openWithKey(o);
  try {
    const digest = new Uint8Array(32).fill(0x5a);
    for (let i = 0; i < 50; i++) await hsm.sign(key, digest); // warm-up

    const resolutionMs = 1;
    const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    let signs = 0;
    const latencies: number[] = [];
    const start = performance.now();
    const end = start + o.seconds * 1000;
    histogram.enable();
    const elu = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    const mainCpu = mainThreadCpuSeconds();
    const lane = async () => {
      for (let t = performance.now(); t < end; ) {
        await hsm.sign(key, digest);
        const now = performance.now();
        latencies.push(now - t);
        t = now;
        signs++;
      }
    };
    await Promise.all(Array.from({ length: o.inflight ?? o.sessions * 16 }, lane));
    histogram.disable();
    const busy = performance.eventLoopUtilization(elu);
    const used = process.cpuUsage(cpu);
    const mainCpuEnd = mainThreadCpuSeconds();
    const seconds = (performance.now() - start) / 1000;
    // The histogram records whole timer intervals (resolution included): subtract it to get the lag.
    const lag = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs);
    return {
      sessions: o.sessions,
      signs,
      seconds,
      signsPerSec: signs / seconds,
      latencyP50Us: median(latencies) * 1000,
      lagP99Ms: lag(histogram.percentile(99)),
      lagMaxMs: lag(histogram.max),
      jsMicrosPerSign:
        mainCpu !== null && mainCpuEnd !== null
          ? ((mainCpuEnd - mainCpu) * 1e6) / signs
          : (busy.active * 1000) / signs,
      cpuMicrosPerSign: (used.user + used.system) / signs,
    };
  } finally {
    await hsm.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const stages = process.argv[2] === '--stages';
  const [library, tokenLabel, pin, curve, sessions, n, last] = process.argv.slice(stages ? 3 : 2);
  if (!library || !tokenLabel || !pin || !curve) {
    console.error(
      stages
        ? 'usage: addon-sign.ts --stages LIBRARY TOKEN_LABEL PIN CURVE [SESSIONS=1] [COUNT=2000] [IDLE_MS=0]'
        : 'usage: addon-sign.ts LIBRARY TOKEN_LABEL PIN CURVE [SESSIONS=1] [SECONDS=3] [INFLIGHT]',
    );
    process.exit(2);
  }
  const open = {
    library,
    tokenLabel,
    pin,
    curve: curve as Curve,
    sessions: Number(sessions ?? 1),
    signAhead: process.env.SIGN_AHEAD !== '0',
    verifySignatures: process.env.NO_VERIFY !== '1',
  };
  const result = stages
    ? await benchSignStages({ ...open, count: Number(n ?? 2000), idleMs: Number(last ?? 0) })
    : await benchAddonSign({
        ...open,
        seconds: Number(n ?? 3),
        inflight: last === undefined ? undefined : Number(last),
      });
  console.log(JSON.stringify(result));
}
