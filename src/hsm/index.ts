// Public surface of the PKCS#11 layer (issue #2).
export { Pkcs11Error } from './errors.js';
export { Hsm } from './hsm.js';
export {
  type MechanismFlag,
  type MechanismInfo,
  mechanismName,
  SIGN_MECHANISMS,
  signableCurves,
  type TokenInfo,
} from './mechanisms.js';
export { listSlots, type SlotInfo } from './slots.js';
export type { Curve, HsmKey, HsmOptions, PoolStats, Recovery, SealMechanism } from './types.js';
