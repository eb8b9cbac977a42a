// Per-vendor rules the config can check before the library is loaded (docs/vendors/). The addon itself
// already covers the others for every vendor: RW sessions always, the public point read from the
// private key object when it carries CKA_EC_POINT (CloudHSM), slot chosen by label or serial.

/** Why a PIN cannot be right for this vendor, or null. Never includes the PIN itself. */
export function pinFormatProblem(vendor: string | null, pin: string): string | null {
  // AWS CloudHSM logs a crypto user in with "<user>:<password>" as the PKCS#11 PIN.
  if (vendor === 'cloudhsm' && !/^[^:]+:.+$/.test(pin)) {
    return 'AWS CloudHSM expects the PIN as <crypto user>:<password>';
  }
  // YubiHSM 2: the PIN "MUST be prefixed with the ID (16 bits, in hexadecimal, zero padded if required)
  // of the Authentication Key", e.g. 0001password (Yubico yubihsm-shell pkcs11/README.adoc).
  if (vendor === 'yubihsm2' && !/^[0-9a-fA-F]{4}./s.test(pin)) {
    return 'YubiHSM 2 expects the PIN as <authentication key id, 4 hex digits><password>, e.g. 0001password';
  }
  return null;
}
