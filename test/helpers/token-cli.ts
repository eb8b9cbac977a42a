// The CLI against a token in tests: refusals that must name what the token lacks, and `hsm check --json`.
import { expect } from 'vitest';
import { runCli } from './signer-process.js';

/** Runs the CLI, expects exit 1 and an error line matching `pattern`. */
export async function expectCliRefusal(
  args: string[],
  env: NodeJS.ProcessEnv,
  pattern: RegExp,
): Promise<void> {
  const r = await runCli(args, env);
  expect(r.code, r.stdout).toBe(1);
  expect(r.stderr).toMatch(pattern);
}

/** `keys generate --curve CURVE --label LABEL` refused with a message matching `pattern`. */
export function expectKeygenRefusal(
  config: string,
  env: NodeJS.ProcessEnv,
  curve: string,
  pattern: RegExp,
): Promise<void> {
  return expectCliRefusal(
    ['keys', 'generate', '--curve', curve, '--label', `k-${curve}`, '--config', config],
    env,
    pattern,
  );
}

/** Mechanism name → offered with the flags the signer needs, from a report's `mechanisms`. */
export function offered(report: {
  mechanisms: { name: string; offered: boolean }[];
}): Record<string, boolean> {
  return Object.fromEntries(report.mechanisms.map((m) => [m.name, m.offered]));
}
