// A token that cannot make a curve answers C_GenerateKeyPair with a bare return value (tpm2-pkcs11:
// CKR_CURVE_NOT_SUPPORTED for secp256k1, CKR_MECHANISM_INVALID for Ed25519). This names what the token
// lacks instead, keeping the code so callers still see the PKCS#11 value.
import { Pkcs11Error } from './errors.js';
import type { MechanismName } from './mechanisms.js';
import type { Curve } from './types.js';

/** The generation mechanism per curve (PKCS#11 v3.0 §2.3.7 / §2.3.9). */
export const KEYGEN_MECHANISM: Readonly<Record<Curve, MechanismName>> = {
  p256: 'CKM_EC_KEY_PAIR_GEN',
  secp256k1: 'CKM_EC_KEY_PAIR_GEN',
  ed25519: 'CKM_EC_EDWARDS_KEY_PAIR_GEN',
};

const CURVE_NAMES: Readonly<Record<Curve, string>> = {
  p256: 'P-256 (prime256v1)',
  secp256k1: 'secp256k1',
  ed25519: 'Ed25519 (edwards25519)',
};

/** The error to throw for a failed generation of `curve`: a clear one when the token lacks the curve. */
export function keygenRefusal(curve: Curve, err: unknown): unknown {
  if (!(err instanceof Pkcs11Error) || err.fn !== 'C_GenerateKeyPair') return err;
  const why: Record<string, string> = {
    CKR_MECHANISM_INVALID: `it does not offer ${KEYGEN_MECHANISM[curve]}`,
    CKR_CURVE_NOT_SUPPORTED: `it does not support the curve ${CURVE_NAMES[curve]}`,
    CKR_DOMAIN_PARAMS_INVALID: `it does not accept the curve parameters of ${CURVE_NAMES[curve]}`,
  };
  const reason = why[err.code];
  if (reason === undefined) return err;
  return new Pkcs11Error(`the token cannot generate ${curve} keys: ${reason} (${err.fn}: ${err.code})`, {
    code: err.code,
    rv: err.rv,
    fn: err.fn,
    recovery: err.recovery,
  });
}
