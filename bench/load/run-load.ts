// Runs the load generator in its own process against a server and returns its measurements.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LoadResult, LoadSpec } from './spec.js';

const run = promisify(execFile);
const GENERATOR = fileURLToPath(new URL('./generator.ts', import.meta.url));

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', GENERATOR, JSON.stringify(spec)], {
    maxBuffer: 1 << 20,
  });
  const result = JSON.parse(stdout) as LoadResult;
  if (result.errors > 0)
    throw new Error(`${spec.url}: ${result.errors} failed requests, first: ${result.firstError}`);
  return result;
}
