// PKCS#11 library presets per vendor (shared/DESIGN.md §7): `hsm.vendor` picks the first existing path
// when `hsm.library` is not given, else reports the first one listed. Each list is the install locations
// the cited sources use; docs/vendors/<vendor>.md says which were confirmed and which are guesses.
// A library's own configuration variable (named per vendor below) is set through `hsm.env`, which is
// applied before the library is loaded (src/cli/open-hsm.ts).

import { existsSync } from 'node:fs';

export const VENDOR_LIBRARIES: Readonly<Record<string, readonly string[]>> = {
  // Debian/Ubuntu package (checked on this machine), older multiarch layout, Fedora (PyKCS11 PR #113
  // uses /usr/lib64/pkcs11/libsofthsm2.so), source install, Homebrew. Reads SOFTHSM2_CONF.
  softhsm2: [
    '/usr/lib/softhsm/libsofthsm2.so',
    '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
    '/usr/lib64/pkcs11/libsofthsm2.so',
    '/usr/local/lib/softhsm/libsofthsm2.so',
    '/opt/homebrew/lib/softhsm/libsofthsm2.so',
  ],
  // AWS CloudHSM Client SDK 5 PKCS #11 package (AWS user guide "Install the PKCS #11 library").
  cloudhsm: ['/opt/cloudhsm/lib/libcloudhsm_pkcs11.so'],
  // Thales Luna client default install; the client reads Chrystoki.conf.
  luna: ['/usr/safenet/lunaclient/lib/libCryptoki2_64.so'],
  // Yubico YubiHSM 2 SDK: Debian/Ubuntu packages (bitwarden/key-connector Dockerfile installs the SDK .debs
  // and loads this path), Fedora/RHEL package (dogtagpki wiki "YubiHSM"), then source installs.
  // Reads YUBIHSM_PKCS11_CONF (else yubihsm_pkcs11.conf in the working directory: Yubico
  // yubihsm-shell pkcs11/README.adoc).
  yubihsm2: [
    '/usr/lib/x86_64-linux-gnu/pkcs11/yubihsm_pkcs11.so',
    '/usr/lib64/pkcs11/yubihsm_pkcs11.so',
    '/usr/lib/pkcs11/yubihsm_pkcs11.so',
    '/usr/local/lib/pkcs11/yubihsm_pkcs11.so',
  ],
  // Entrust nShield Security World software; reads /opt/nfast/cknfastrc and CKNFAST_* variables.
  nshield: ['/opt/nfast/toolkits/pkcs11/libcknfast.so'],
  // Utimaco u.trust GP HSM / CryptoServer, PKCS#11 R3 library. Utimaco ships no installer for it, so
  // these are the places integrations copy it to: /usr/lib (Cosmian KMS utimaco_pkcs11_loader,
  // /lib on merged-/usr systems), /usr/local/lib (OpenBao Utimaco guide), /opt/utimaco/lib
  // (Mastercard pkcs11-tools with_utimaco, whose comment says "there is no standard install"),
  // /etc/utimaco (Keyfactor EJBCA uTrust page). Reads CS_PKCS11_R3_CFG (OpenBao guide: must be set).
  utimaco: [
    '/usr/lib/libcs_pkcs11_R3.so',
    '/usr/local/lib/libcs_pkcs11_R3.so',
    '/opt/utimaco/lib/libcs_pkcs11_R3.so',
    '/etc/utimaco/libcs_pkcs11_R3.so',
  ],
  // Futurex FXPKCS11. No install location confirmed from Futurex; this is the default of
  // bitwarden/key-connector (src/KeyConnector/Services/Pkcs11/Pkcs11RsaKeyService.cs). Reads FXPKCS11_CFG
  // (Corda Enterprise HSM docs; tmkms p11hsm README).
  futurex: ['/usr/lib/x86_64-linux-gnu/fxpkcs11/libfxpkcs11.so'],
  // p11-kit's RPC client module: a token exported by `p11-kit server` on another host or in another
  // process. Debian/Ubuntu p11-kit-modules on amd64 and arm64 (checked on this machine for amd64), then
  // Fedora's p11-kit-server package. Reads P11_KIT_SERVER_ADDRESS (set it in hsm.env); the RPC does not
  // carry CKM_EDDSA, so tz1 keys are not offered through it (docs/vendors/p11-kit.md).
  'p11-kit': [
    '/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so',
    '/usr/lib/aarch64-linux-gnu/pkcs11/p11-kit-client.so',
    '/usr/lib64/pkcs11/p11-kit-client.so',
  ],
  // tpm2-pkcs11 (Debian/Ubuntu libtpm2-pkcs11-1, checked on this machine; Fedora tpm2-pkcs11 package).
  // Reads TPM2_PKCS11_TCTI (e.g. tabrmd:bus_type=session or device:/dev/tpmrm0) and TPM2_PKCS11_STORE
  // (the directory of its token database). docs/vendors/tpm2.md.
  tpm2: ['/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so', '/usr/lib64/pkcs11/libtpm2_pkcs11.so'],
  // openCryptoki (Debian/Ubuntu package, under the multiarch pkcs11/ folder, checked on this machine;
  // Fedora/RHEL /usr/lib64/opencryptoki). Needs the pkcsslotd daemon running. docs/vendors/opencryptoki.md.
  opencryptoki: [
    '/usr/lib/x86_64-linux-gnu/pkcs11/libopencryptoki.so',
    '/usr/lib/x86_64-linux-gnu/opencryptoki/libopencryptoki.so.0',
    '/usr/lib64/opencryptoki/libopencryptoki.so',
  ],
};

export const VENDORS = Object.keys(VENDOR_LIBRARIES);

/** The preset path for a vendor: the first that exists on this machine, else the first listed. */
export function vendorLibrary(vendor: string, exists: (p: string) => boolean = existsSync): string {
  const paths = VENDOR_LIBRARIES[vendor];
  if (paths === undefined) throw new Error(`unknown vendor '${vendor}'`);
  return paths.find(exists) ?? paths[0]!;
}
