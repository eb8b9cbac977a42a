// A PIN file as editors and `echo` write it (trailing line breaks, blank lines) logs in; a PIN the token
// refuses says where the PIN was read from and how, instead of a bare CKR_PIN_INCORRECT.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openHsm } from '../src/cli/open-hsm.js';
import { loadConfig } from '../src/config/load.js';
import { readPin } from '../src/config/pin.js';
import type { Config } from '../src/config/types.js';
import { devToken } from './helpers/dev-signer.js';

let config: Config;
let pinFile: string;
let pin: string;

beforeAll(async () => {
  const t = await devToken();
  config = await loadConfig(t.config);
  pinFile = join(t.dir, 'hsm-pin');
  pin = readFileSync(pinFile, 'utf8').trim();
});

describe('PIN file', () => {
  it.each([
    ['a line break', '\n'],
    ['CRLF', '\r\n'],
    ['trailing blank lines', '\n\n\n'],
    ['blank lines with spaces', '\n  \n\t\n'],
  ])('logs in with %s after the PIN', async (_, tail) => {
    writeFileSync(pinFile, pin + tail);
    expect(readPin(config)).toBe(pin);
    const hsm = await openHsm(config);
    expect((await hsm.keys()).length).toBeGreaterThan(0);
    await hsm.close();
  });

  it('refuses a file of two PIN lines before trying it', () => {
    writeFileSync(pinFile, `${pin}\n${pin}\n`);
    expect(() => readPin(config)).toThrow(/hsm.pin_file: .* has more than one line/);
  });

  it('explains a PIN the token refuses', async () => {
    writeFileSync(pinFile, `${pin} \n`);
    const err = await openHsm(config).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CKR_PIN_INCORRECT', fn: 'C_Login' });
    expect(String(err)).toContain(
      `the PIN is the first line of hsm.pin_file ${pinFile}, taken verbatim (spaces count)`,
    );
    writeFileSync(pinFile, `${pin}\n`);
  });
});
