// Vendor presets (docs/vendors/): hsm.vendor picks the library path, and vendor quirks the
// config can check (CloudHSM's user:password PIN, YubiHSM 2's auth-key-id prefix) fail before the
// library is loaded, naming the path. `config check` runs as the real CLI process.

import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { readPin } from '../src/config/pin.js';
import { VENDOR_LIBRARIES, vendorLibrary } from '../src/config/vendors.js';
import { runCli } from './helpers/signer-process.js';

const cfg = (vendor: string) =>
  parseConfig(
    `hsm:\n  vendor: ${vendor}\n  token_label: baker\nwatermark:\n  backend: memory\n`,
    '/etc/signer.yaml',
  );

const configCheck = async (hsmLines: string) => {
  const dir = await mkdtemp(join(tmpdir(), 'vendor-cfg-'));
  const file = join(dir, 'signer.yaml');
  await writeFile(file, `hsm:\n${hsmLines}  token_label: baker\nwatermark:\n  backend: memory\n`);
  return { dir, ...(await runCli(['config', 'check', file], { HSM_PIN: '1234' })) };
};

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

  it('requires the YubiHSM 2 PIN to start with the 4-hex-digit authentication key id', () => {
    const c = cfg('yubihsm2');
    for (const bad of ['password', '001password', '0001', 'zz01password']) {
      expect(() => readPin(c, { HSM_PIN: bad })).toThrow(
        /signer\.yaml: hsm\.pin_env: YubiHSM 2 expects the PIN as <authentication key id, 4 hex digits><password>/,
      );
    }
    expect(readPin(c, { HSM_PIN: '0001password' })).toBe('0001password');
    expect(readPin(c, { HSM_PIN: '00aFp' })).toBe('00aFp');
  });

  it('resolves the Utimaco R3 and Futurex presets to their first candidate when none is installed', () => {
    const none = () => false;
    expect(vendorLibrary('utimaco', none)).toBe('/usr/lib/libcs_pkcs11_R3.so');
    expect(vendorLibrary('futurex', none)).toBe('/usr/lib/x86_64-linux-gnu/fxpkcs11/libfxpkcs11.so');
    // A later candidate wins when it is the one present (Utimaco has no standard install location).
    const opt = '/opt/utimaco/lib/libcs_pkcs11_R3.so';
    expect(vendorLibrary('utimaco', (p) => p === opt)).toBe(opt);
    expect(VENDOR_LIBRARIES.utimaco).toContain('/etc/utimaco/libcs_pkcs11_R3.so');
  });

  it('config check accepts vendor utimaco/futurex with a library path and the library variable in hsm.env', async () => {
    for (const [vendor, lib, envName] of [
      ['utimaco', 'libcs_pkcs11_R3.so', 'CS_PKCS11_R3_CFG'],
      ['futurex', 'libfxpkcs11.so', 'FXPKCS11_CFG'],
    ] as const) {
      const dir = await mkdtemp(join(tmpdir(), `vendor-lib-${vendor}-`));
      const fake = join(dir, lib);
      await writeFile(fake, '');
      const r = await configCheck(
        `  vendor: ${vendor}\n  library: ${fake}\n  env:\n    ${envName}: ${join(dir, 'vendor.cfg')}\n`,
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/signer\.yaml: ok/);
    }
  });

  it('config check names the preset path when the vendor library is not installed', async () => {
    const r = await configCheck('  vendor: utimaco\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /signer\.yaml: hsm\.library: \/usr\/lib\/libcs_pkcs11_R3\.so does not exist on this machine/,
    );
  });

  it('refuses an unknown vendor naming the path', () => {
    expect(() => cfg('acme')).toThrow(
      /hsm\.vendor: expected one of softhsm2, cloudhsm, luna, yubihsm2, nshield, utimaco, futurex/,
    );
  });
});
