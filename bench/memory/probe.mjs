// Preloaded into a server under test (NODE_OPTIONS=--import …/probe.mjs, RSS_PROBE_OUT=FILE) by
// bench/rss-keys.ts: samples process.memoryUsage() every few milliseconds from the first line of JS on and
// writes the peaks, the current values and V8's spaces to FILE on SIGUSR2. Diagnostic only.
import { writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const out = process.env.RSS_PROBE_OUT;
if (out) {
  const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
  };
  setInterval(sample, 2).unref();
  process.on('SIGUSR2', () => {
    sample();
    const spaces = Object.fromEntries(
      getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]),
    );
    writeFileSync(out, JSON.stringify({ now: process.memoryUsage(), peak, spaces }));
  });
}
