// Adds COUNT P-256 key pairs to a SoftHSM2 token in one session (pkcs11-tool would take a process per key,
// minutes for a thousand). Used by the key-count rows of bench/run.ts; runs as its own process because
// SoftHSM2 reads SOFTHSM2_CONF once per process.
// Usage: SOFTHSM2_CONF=… node --import tsx bench/load/add-keys.ts LIBRARY TOKEN_LABEL PIN COUNT LABEL_PREFIX
import pkcs11js from 'pkcs11js';

const [library, tokenLabel, pin, count, prefix] = process.argv.slice(2);
const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex'); // DER OID 1.2.840.10045.3.1.7 (prime256v1)
const p11 = new pkcs11js.PKCS11();
p11.load(library!);
p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
try {
  const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === tokenLabel);
  if (!slot) throw new Error(`token ${tokenLabel} not found`);
  const session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  p11.C_Login(session, pkcs11js.CKU_USER, pin);
  for (let i = 0; i < Number(count); i++) {
    const label = Buffer.from(`${prefix}-${i}`);
    const id = Buffer.from(`${prefix}${i}`);
    p11.C_GenerateKeyPair(
      session,
      { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
      [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: pkcs11js.CKA_EC_PARAMS, value: P256_PARAMS },
        { type: pkcs11js.CKA_LABEL, value: label },
        { type: pkcs11js.CKA_ID, value: id },
      ],
      [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_LABEL, value: label },
        { type: pkcs11js.CKA_ID, value: id },
      ],
    );
  }
} finally {
  p11.C_Finalize();
}
