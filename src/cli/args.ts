// Command-line option parsing shared by the verbs (node:util parseArgs, strict: unknown flags fail).

import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Spec = Record<string, { type: 'string' | 'boolean' }>;

export function parseVerbArgs<S extends Spec>(argv: string[], options: S) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function requireConfig(values: { config?: string | boolean | undefined }): string {
  if (typeof values.config !== 'string' || values.config === '')
    throw new UsageError('--config FILE is required');
  return values.config;
}
