// Cost of one small append + fdatasync in a directory (the file watermark's durability step,
// docs/watermark.md), median of N, in ms: a term of the watermark's latency budget (docs/performance.md).
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { percentile } from './spec.js';

export function fdatasyncP50Ms(dir: string, n = 300): number {
  const tmp = mkdtempSync(join(dir, 'fsync-'));
  const fd = openSync(join(tmp, 'log'), 'a');
  const record = Buffer.alloc(96, 0x5a);
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      writeSync(fd, record);
      fdatasyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(tmp, { recursive: true, force: true });
  }
  return Number(
    percentile(
      times.sort((a, b) => a - b),
      0.5,
    ).toFixed(3),
  );
}
