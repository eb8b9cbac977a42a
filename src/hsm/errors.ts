// The one error class of the PKCS#11 layer. The addon creates its instances (registered in native.ts).
import type { Recovery } from './types.js';

export interface Pkcs11ErrorDetails {
  /** 'CKR_…' name, or 'ERR_HSM_…' for failures that are not a PKCS#11 return value. */
  code: string;
  /** The PKCS#11 return value (0 when the failure is not one). */
  rv: number;
  /** The failing function, e.g. 'C_Sign', 'dlopen'. */
  fn: string;
  recovery: Recovery;
}

export class Pkcs11Error extends Error {
  readonly code: string;
  readonly rv: number;
  readonly fn: string;
  readonly recovery: Recovery;

  constructor(message: string, details: Pkcs11ErrorDetails) {
    super(message);
    this.name = 'Pkcs11Error';
    this.code = details.code;
    this.rv = details.rv;
    this.fn = details.fn;
    this.recovery = details.recovery;
  }
}
