// Reads the user PIN: from the file named by hsm.pin_file (owner-only permissions), else from the
// environment variable named by hsm.pin_env. Never from the command line (shared/CONTRACT.md).

import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from './errors.js';
import type { Config } from './types.js';
import { pinFormatProblem } from './vendor-quirks.js';

export function readPin(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  const pin = readPinText(config, env);
  const problem = pinFormatProblem(config.hsm.vendor, pin);
  if (problem !== null) {
    throw new ConfigError(config.file, config.hsm.pinFile !== null ? 'hsm.pin_file' : 'hsm.pin_env', problem);
  }
  return pin;
}

/** Where the PIN came from and how it was read, for a login that the token refused. */
export function pinSource(config: Config): string {
  const { hsm } = config;
  return hsm.pinFile !== null
    ? `the PIN is the first line of hsm.pin_file ${hsm.pinFile}, taken verbatim (spaces count) without its line break`
    : `the PIN is the environment variable ${hsm.pinEnv}, taken verbatim (spaces and line breaks count)`;
}

function readPinText(config: Config, env: NodeJS.ProcessEnv): string {
  const { hsm, file } = config;
  if (hsm.pinFile !== null) {
    let mode: number;
    let text: string;
    try {
      mode = statSync(hsm.pinFile).mode;
      text = readFileSync(hsm.pinFile, 'utf8');
    } catch (err) {
      throw new ConfigError(
        file,
        'hsm.pin_file',
        `cannot read ${hsm.pinFile}: ${(err as NodeJS.ErrnoException).code}`,
      );
    }
    if ((mode & 0o077) !== 0) {
      throw new ConfigError(
        file,
        'hsm.pin_file',
        `${hsm.pinFile} must be readable by its owner only (chmod 600)`,
      );
    }
    // Editors and `echo` add line breaks, sometimes blank lines: the PIN is the first line, verbatim.
    const pin = text.replace(/(\r?\n[ \t]*)+$/, '');
    if (pin === '') throw new ConfigError(file, 'hsm.pin_file', `${hsm.pinFile} is empty`);
    if (/[\r\n]/.test(pin))
      throw new ConfigError(
        file,
        'hsm.pin_file',
        `${hsm.pinFile} has more than one line; the PIN is one line`,
      );
    return pin;
  }
  const pin = env[hsm.pinEnv];
  if (pin === undefined || pin === '') {
    throw new ConfigError(file, 'hsm.pin_env', `environment variable ${hsm.pinEnv} is not set`);
  }
  return pin;
}
