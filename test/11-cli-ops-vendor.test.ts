// Vendor presets (issue #5, DESIGN.md §7): hsm.vendor picks the library path, and vendor quirks the
// config can check (CloudHSM's user:password PIN) fail before the library is loaded, naming the path.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { readPin } from '../src/config/pin.js';

const cfg = (vendor: string) =>
  parseConfig(
    `hsm:\n  vendor: ${vendor}\n  token_label: baker\nwatermark:\n  backend: memory\n`,
    '/etc/signer.yaml',
  );

describe('vendor presets', () => {
  it('picks the installed SoftHSM2 library on this machine', () => {
    const c = cfg('softhsm2');
    expect(c.hsm.library).toBe('/usr/lib/softhsm/libsofthsm2.so');
    expect(existsSync(c.hsm.library)).toBe(true);
    expect(readPin(c, { HSM_PIN: '1234' })).toBe('1234');
  });

  it('uses the CloudHSM SDK 5 path and requires a user:password PIN', () => {
    const c = cfg('cloudhsm');
    expect(c.hsm.library).toBe('/opt/cloudhsm/lib/libcloudhsm_pkcs11.so');
    expect(() => readPin(c, { HSM_PIN: 'only-a-password' })).toThrow(
      /signer\.yaml: hsm\.pin_env: AWS CloudHSM expects the PIN as <crypto user>:<password>/,
    );
    expect(() => readPin(c, { HSM_PIN: ':password' })).toThrow(/crypto user/);
    expect(readPin(c, { HSM_PIN: 'cu_baker:s3cret:with:colons' })).toBe('cu_baker:s3cret:with:colons');
  });

  it('refuses an unknown vendor naming the path', () => {
    expect(() => cfg('acme')).toThrow(
      /hsm\.vendor: expected one of softhsm2, cloudhsm, luna, yubihsm2, nshield/,
    );
  });
});
