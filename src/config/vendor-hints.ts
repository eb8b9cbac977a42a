// What to check when a vendor's library fails in a way that names a symptom, not its cause: appended to
// the error's message so that an operator reading the CLI's one line knows where to look.
import { Pkcs11Error } from '../hsm/errors.js';

interface Hint {
  vendor: string;
  /** A library path that is this vendor's even without `hsm.vendor`. */
  library: RegExp;
  code: string;
  fn?: string;
  hint: string;
}

const HINTS: readonly Hint[] = [
  // openCryptoki's library gets its slot table from the pkcsslotd daemon; without it C_Initialize fails
  // with CKR_HOST_MEMORY (seen with openCryptoki 3.8.1).
  {
    vendor: 'opencryptoki',
    library: /opencryptoki/,
    code: 'CKR_HOST_MEMORY',
    fn: 'C_Initialize',
    hint: 'is pkcsslotd running? (openCryptoki needs its slot daemon: systemctl start pkcsslotd)',
  },
  // tpm2-pkcs11 fails C_Initialize with CKR_GENERAL_ERROR when its TCTI cannot reach the TPM (no
  // /dev/tpmrm0 access, tpm2-abrmd not on the bus named), after printing the TSS's ERROR lines.
  {
    vendor: 'tpm2',
    library: /tpm2_pkcs11/,
    code: 'CKR_GENERAL_ERROR',
    fn: 'C_Initialize',
    hint:
      'tpm2-pkcs11 could not reach the TPM: check TPM2_PKCS11_TCTI (device:/dev/tpmrm0, or tabrmd:… with ' +
      'tpm2-abrmd running on that bus) and the ERROR lines above',
  },
];

/** `err` with the vendor's hint added to its message when one applies; else `err` itself. */
export function withVendorHint(vendor: string | null, library: string, err: unknown): unknown {
  if (!(err instanceof Pkcs11Error)) return err;
  const h = HINTS.find(
    (h) =>
      (vendor === h.vendor || h.library.test(library)) &&
      err.code === h.code &&
      (h.fn === undefined || err.fn === h.fn),
  );
  if (h === undefined) return err;
  return new Pkcs11Error(`${err.message}: ${h.hint}`, {
    code: err.code,
    rv: err.rv,
    fn: err.fn,
    recovery: err.recovery,
  });
}
