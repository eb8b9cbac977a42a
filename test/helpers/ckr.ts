// PKCS#11 return values the fault-injection tests arm (pkcs11t.h, PKCS#11 v2.40 §5.1).
export const CKR = {
  SLOT_ID_INVALID: 0x3,
  DEVICE_ERROR: 0x30,
  DEVICE_REMOVED: 0x32,
  MECHANISM_INVALID: 0x70,
  SESSION_CLOSED: 0xb0,
  SESSION_HANDLE_INVALID: 0xb3,
  TOKEN_NOT_PRESENT: 0xe0,
  CRYPTOKI_NOT_INITIALIZED: 0x190,
} as const;
