// What the signer needs from the PKCS#11 layer, apart from the signer so the keyring can use it too.

import type { HsmKey } from '../hsm/types.js';
import type { Curve } from '../tezos/curve.js';

/** What the signer needs from the PKCS#11 layer (src/hsm Hsm satisfies it). */
export interface SigningDevice {
  keys(): Promise<readonly HsmKey[]>;
  /** `deadline` (performance.now() ms): reject rather than answer after it; a late signature is discarded. */
  sign(key: HsmKey, data: Uint8Array, deadline?: number): Promise<Uint8Array>;
  /** True: sign() only returns signatures it verified against the key (then the signer does not). */
  readonly verifiesSignatures?: boolean;
  /** How long a request may wait for the device, counted from its arrival (slot lock included). */
  readonly timeoutMs?: number;
  /** The curves whose signing mechanism the token offers (Hsm.signableCurves); absent: all of them. */
  signableCurves?(): Promise<ReadonlySet<Curve>>;
}
