// Crash safety of the file store: a child process signs rising heights and reports each acknowledged
// mark; it is killed with SIGKILL mid-stream (several times over the same directory). After each kill
// the store reopens (taking over the dead child's lock) with every acknowledged mark, and nothing at
// or below an acknowledged height can be signed with other bytes.

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../src/watermark/file-store.js';
import { CountingSigner, pkhN, request, tempDir } from './helpers/watermark.js';

const SLOTS = 8;
const KILL_AFTER_ACKS = 400;

/** Runs the child until it has acknowledged `n` marks, kills it, and returns the highest ack per slot. */
async function crashRun(dir: string, n: number): Promise<Map<number, [number, number]>> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fixtures/watermark-crash-child.ts', dir, String(SLOTS)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const acked = new Map<number, [number, number]>();
  let count = 0;
  let stderr = '';
  let buffered = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? code));
  });
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const m = /^ack (\d+) (\d+) (\d+)$/.exec(line);
      if (!m) continue;
      const [slot, level, round] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const prev = acked.get(slot);
      if (!prev || level > prev[0] || (level === prev[0] && round > prev[1])) acked.set(slot, [level, round]);
      if (++count === n) child.kill('SIGKILL');
    }
  });
  const how = await exited;
  if (how !== 'SIGKILL') throw new Error(`child ended with ${String(how)} before the kill: ${stderr}`);
  return acked;
}

describe('file store under kill -9', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(() => cleanup());

  it('keeps every acknowledged mark across repeated SIGKILLs', async () => {
    const hsm = new CountingSigner();
    for (let run = 0; run < 3; run++) {
      const acked = await crashRun(dir, KILL_AFTER_ACKS);
      expect(acked.size).toBe(SLOTS);
      const store = await FileStore.open(dir, { onRecovery: () => {} });
      try {
        for (const [i, [level, round]] of acked) {
          const s = { chainId: 'NetXdQprcVkpaWU', pkh: pkhN(i), kind: 'block' as const };
          const mark = await store.get(s);
          expect(mark).not.toBeNull();
          const atOrAbove = mark!.level > level || (mark!.level === level && mark!.round >= round);
          expect(
            atOrAbove,
            `slot ${i}: stored ${mark!.level}/${mark!.round}, acknowledged ${level}/${round}`,
          ).toBe(true);
          for (const r of [request(level, round), request(level, 0), request(Math.max(1, level - 1), 1)]) {
            expect((await store.signOnce(s, r, hsm.signer(r))).outcome).toBe('refused');
          }
        }
        expect(hsm.calls).toBe(0);
      } finally {
        await store.close();
      }
    }
  });
});
