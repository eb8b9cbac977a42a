// Signing throughput through the addon with the pool saturated, and the event-loop lag meanwhile.
// Usage: node --import tsx bench/addon-sign.ts LIBRARY TOKEN_LABEL PIN CURVE SESSIONS SECONDS
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Hsm } from '../src/hsm/index.js';
import type { Curve } from '../src/hsm/types.js';

export interface AddonSignResult {
  sessions: number;
  signs: number;
  seconds: number;
  signsPerSec: number;
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
}

/** CPU seconds of this process's main thread (/proc/self/task/PID/stat utime+stime), null off Linux. */
function mainThreadCpuSeconds(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
  } catch {
    return null;
  }
}

export async function benchAddonSign(o: AddonSignOptions): Promise<AddonSignResult> {
  const hsm = await Hsm.open({
    library: o.library,
    tokenLabel: o.tokenLabel,
    pin: o.pin,
    sessions: o.sessions,
  });
  try {
    const key = (await hsm.keys()).find((k) => k.curve === o.curve);
    if (!key) throw new Error(`no ${o.curve} key on token ${o.tokenLabel}`);
    const digest = new Uint8Array(32).fill(0x5a);
    for (let i = 0; i < 50; i++) await hsm.sign(key, digest); // warm-up

    const resolutionMs = 1;
    const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    let signs = 0;
    const start = performance.now();
    const end = start + o.seconds * 1000;
    histogram.enable();
    const elu = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    const mainCpu = mainThreadCpuSeconds();
    const lane = async () => {
      while (performance.now() < end) {
        await hsm.sign(key, digest);
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
  const [library, tokenLabel, pin, curve, sessions, seconds] = process.argv.slice(2);
  if (!library || !tokenLabel || !pin || !curve) {
    console.error('usage: addon-sign.ts LIBRARY TOKEN_LABEL PIN CURVE [SESSIONS=1] [SECONDS=3]');
    process.exit(2);
  }
  const result = await benchAddonSign({
    library,
    tokenLabel,
    pin,
    curve: curve as Curve,
    sessions: Number(sessions ?? 1),
    seconds: Number(seconds ?? 3),
  });
  console.log(JSON.stringify(result));
}
