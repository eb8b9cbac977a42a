// PKCS#11 library presets per vendor (shared/DESIGN.md §7): `hsm.vendor` picks the first existing path
// when `hsm.library` is not given. Paths are the vendors' documented install locations.

import { existsSync } from 'node:fs';

export const VENDOR_LIBRARIES: Readonly<Record<string, readonly string[]>> = {
  // Debian/Ubuntu package, source install, Homebrew.
  softhsm2: [
    '/usr/lib/softhsm/libsofthsm2.so',
    '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
    '/usr/local/lib/softhsm/libsofthsm2.so',
    '/opt/homebrew/lib/softhsm/libsofthsm2.so',
  ],
  // AWS CloudHSM Client SDK 5.
  cloudhsm: ['/opt/cloudhsm/lib/libcloudhsm_pkcs11.so'],
  // Thales Luna client.
  luna: ['/usr/safenet/lunaclient/lib/libCryptoki2_64.so'],
  // Yubico YubiHSM 2 SDK (Debian/Ubuntu packages, then the SDK tarball layout).
  yubihsm2: [
    '/usr/lib/x86_64-linux-gnu/pkcs11/yubihsm_pkcs11.so',
    '/usr/lib/pkcs11/yubihsm_pkcs11.so',
    '/usr/local/lib/pkcs11/yubihsm_pkcs11.so',
  ],
  // Entrust nShield.
  nshield: ['/opt/nfast/toolkits/pkcs11/libcknfast.so'],
};

export const VENDORS = Object.keys(VENDOR_LIBRARIES);

/** The preset path for a vendor: the first that exists on this machine, else the first listed. */
export function vendorLibrary(vendor: string, exists: (p: string) => boolean = existsSync): string {
  const paths = VENDOR_LIBRARIES[vendor];
  if (paths === undefined) throw new Error(`unknown vendor '${vendor}'`);
  return paths.find(exists) ?? paths[0]!;
}
