// The subset of the PKCS#11 v2.40 / v3.0 C API the addon uses, declared from the OASIS specification
// (pkcs11-base-v2.40 §3-5, pkcs11-base-v3.0 §5.4 for C_GetInterface). Written here so the build needs no
// vendor or distribution header. Unix ABI: natural alignment, CK_ULONG = unsigned long.
#pragma once

#include <cstdint>

extern "C" {

typedef unsigned char CK_BYTE;
typedef CK_BYTE CK_BBOOL;
typedef CK_BYTE CK_UTF8CHAR;
typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV;
typedef CK_ULONG CK_FLAGS;
typedef CK_ULONG CK_SLOT_ID;
typedef CK_ULONG CK_SESSION_HANDLE;
typedef CK_ULONG CK_OBJECT_HANDLE;
typedef CK_ULONG CK_ATTRIBUTE_TYPE;
typedef CK_ULONG CK_MECHANISM_TYPE;
typedef CK_ULONG CK_USER_TYPE;
typedef void *CK_VOID_PTR;
typedef CK_VOID_PTR CK_NOTIFY;

struct CK_VERSION {
  CK_BYTE major;
  CK_BYTE minor;
};

struct CK_INFO {
  CK_VERSION cryptokiVersion;
  CK_UTF8CHAR manufacturerID[32];
  CK_FLAGS flags;
  CK_UTF8CHAR libraryDescription[32];
  CK_VERSION libraryVersion;
};

struct CK_SLOT_INFO {
  CK_UTF8CHAR slotDescription[64];
  CK_UTF8CHAR manufacturerID[32];
  CK_FLAGS flags;
  CK_VERSION hardwareVersion;
  CK_VERSION firmwareVersion;
};

struct CK_TOKEN_INFO {
  CK_UTF8CHAR label[32];
  CK_UTF8CHAR manufacturerID[32];
  CK_UTF8CHAR model[16];
  CK_UTF8CHAR serialNumber[16];
  CK_FLAGS flags;
  CK_ULONG ulMaxSessionCount;
  CK_ULONG ulSessionCount;
  CK_ULONG ulMaxRwSessionCount;
  CK_ULONG ulRwSessionCount;
  CK_ULONG ulMaxPinLen;
  CK_ULONG ulMinPinLen;
  CK_ULONG ulTotalPublicMemory;
  CK_ULONG ulFreePublicMemory;
  CK_ULONG ulTotalPrivateMemory;
  CK_ULONG ulFreePrivateMemory;
  CK_VERSION hardwareVersion;
  CK_VERSION firmwareVersion;
  CK_UTF8CHAR utcTime[16];
};

struct CK_SESSION_INFO {
  CK_SLOT_ID slotID;
  CK_ULONG state;
  CK_FLAGS flags;
  CK_ULONG ulDeviceError;
};

struct CK_ATTRIBUTE {
  CK_ATTRIBUTE_TYPE type;
  CK_VOID_PTR pValue;
  CK_ULONG ulValueLen;
};

struct CK_MECHANISM {
  CK_MECHANISM_TYPE mechanism;
  CK_VOID_PTR pParameter;
  CK_ULONG ulParameterLen;
};

struct CK_C_INITIALIZE_ARGS {
  CK_VOID_PTR CreateMutex;
  CK_VOID_PTR DestroyMutex;
  CK_VOID_PTR LockMutex;
  CK_VOID_PTR UnlockMutex;
  CK_FLAGS flags;
  CK_VOID_PTR pReserved;
};

// v2.40 §3.5 CK_MECHANISM_INFO (key sizes in bits or bytes, per mechanism).
struct CK_MECHANISM_INFO {
  CK_ULONG ulMinKeySize;
  CK_ULONG ulMaxKeySize;
  CK_FLAGS flags;
};

typedef CK_RV (*CK_C_GenerateKeyPair)(CK_SESSION_HANDLE, CK_MECHANISM *, CK_ATTRIBUTE *, CK_ULONG, CK_ATTRIBUTE *,
                                      CK_ULONG, CK_OBJECT_HANDLE *, CK_OBJECT_HANDLE *);

// Function table in the order of the specification (v2.40 §5: 68 entries; the v3.0 table extends it,
// so its first 68 entries can be read through this layout). Entries the addon never calls are opaque.
struct CK_FUNCTION_LIST {
  CK_VERSION version;
  CK_RV (*C_Initialize)(CK_VOID_PTR);
  CK_RV (*C_Finalize)(CK_VOID_PTR);
  CK_RV (*C_GetInfo)(CK_INFO *);
  CK_VOID_PTR C_GetFunctionList;
  CK_RV (*C_GetSlotList)(CK_BBOOL, CK_SLOT_ID *, CK_ULONG *);
  CK_RV (*C_GetSlotInfo)(CK_SLOT_ID, CK_SLOT_INFO *);
  CK_RV (*C_GetTokenInfo)(CK_SLOT_ID, CK_TOKEN_INFO *);
  CK_RV (*C_GetMechanismList)(CK_SLOT_ID, CK_MECHANISM_TYPE *, CK_ULONG *);
  CK_RV (*C_GetMechanismInfo)(CK_SLOT_ID, CK_MECHANISM_TYPE, CK_MECHANISM_INFO *);
  CK_VOID_PTR C_InitToken;
  CK_VOID_PTR C_InitPIN;
  CK_VOID_PTR C_SetPIN;
  CK_RV (*C_OpenSession)(CK_SLOT_ID, CK_FLAGS, CK_VOID_PTR, CK_NOTIFY, CK_SESSION_HANDLE *);
  CK_RV (*C_CloseSession)(CK_SESSION_HANDLE);
  CK_RV (*C_CloseAllSessions)(CK_SLOT_ID);
  CK_RV (*C_GetSessionInfo)(CK_SESSION_HANDLE, struct CK_SESSION_INFO *);
  CK_VOID_PTR C_GetOperationState;
  CK_VOID_PTR C_SetOperationState;
  CK_RV (*C_Login)(CK_SESSION_HANDLE, CK_USER_TYPE, CK_UTF8CHAR *, CK_ULONG);
  CK_VOID_PTR C_Logout;
  CK_VOID_PTR C_CreateObject;
  CK_VOID_PTR C_CopyObject;
  CK_VOID_PTR C_DestroyObject;
  CK_VOID_PTR C_GetObjectSize;
  CK_RV (*C_GetAttributeValue)(CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE *, CK_ULONG);
  CK_VOID_PTR C_SetAttributeValue;
  CK_RV (*C_FindObjectsInit)(CK_SESSION_HANDLE, CK_ATTRIBUTE *, CK_ULONG);
  CK_RV (*C_FindObjects)(CK_SESSION_HANDLE, CK_OBJECT_HANDLE *, CK_ULONG, CK_ULONG *);
  CK_RV (*C_FindObjectsFinal)(CK_SESSION_HANDLE);
  CK_VOID_PTR C_EncryptInit;
  CK_VOID_PTR C_Encrypt;
  CK_VOID_PTR C_EncryptUpdate;
  CK_VOID_PTR C_EncryptFinal;
  CK_VOID_PTR C_DecryptInit;
  CK_VOID_PTR C_Decrypt;
  CK_VOID_PTR C_DecryptUpdate;
  CK_VOID_PTR C_DecryptFinal;
  CK_VOID_PTR C_DigestInit;
  CK_VOID_PTR C_Digest;
  CK_VOID_PTR C_DigestUpdate;
  CK_VOID_PTR C_DigestKey;
  CK_VOID_PTR C_DigestFinal;
  CK_RV (*C_SignInit)(CK_SESSION_HANDLE, CK_MECHANISM *, CK_OBJECT_HANDLE);
  CK_RV (*C_Sign)(CK_SESSION_HANDLE, CK_BYTE *, CK_ULONG, CK_BYTE *, CK_ULONG *);
  CK_VOID_PTR C_SignUpdate;
  CK_VOID_PTR C_SignFinal;
  CK_VOID_PTR C_SignRecoverInit;
  CK_VOID_PTR C_SignRecover;
  CK_VOID_PTR C_VerifyInit;
  CK_VOID_PTR C_Verify;
  CK_VOID_PTR C_VerifyUpdate;
  CK_VOID_PTR C_VerifyFinal;
  CK_VOID_PTR C_VerifyRecoverInit;
  CK_VOID_PTR C_VerifyRecover;
  CK_VOID_PTR C_DigestEncryptUpdate;
  CK_VOID_PTR C_DecryptDigestUpdate;
  CK_VOID_PTR C_SignEncryptUpdate;
  CK_VOID_PTR C_DecryptVerifyUpdate;
  CK_VOID_PTR C_GenerateKey;
  CK_C_GenerateKeyPair C_GenerateKeyPair;
  CK_VOID_PTR C_WrapKey;
  CK_VOID_PTR C_UnwrapKey;
  CK_VOID_PTR C_DeriveKey;
  CK_VOID_PTR C_SeedRandom;
  CK_VOID_PTR C_GenerateRandom;
  CK_VOID_PTR C_GetFunctionStatus;
  CK_VOID_PTR C_CancelFunction;
  CK_VOID_PTR C_WaitForSlotEvent;
};

// v3.0 §3.6 CK_INTERFACE, returned by C_GetInterface.
struct CK_INTERFACE {
  CK_UTF8CHAR *pInterfaceName;
  CK_VOID_PTR pFunctionList;
  CK_FLAGS flags;
};

typedef CK_RV (*CK_C_GetFunctionList)(CK_FUNCTION_LIST **);
typedef CK_RV (*CK_C_GetInterface)(CK_UTF8CHAR *, CK_VERSION *, CK_INTERFACE **, CK_FLAGS);

}  // extern "C"

// Constants (pkcs11t.h values from the specification).
constexpr CK_ULONG CK_UNAVAILABLE_INFORMATION = ~0UL;
constexpr CK_ULONG CK_EFFECTIVELY_INFINITE = 0;
constexpr CK_BBOOL CK_TRUE = 1;
constexpr CK_BBOOL CK_FALSE = 0;

constexpr CK_FLAGS CKF_TOKEN_PRESENT = 0x1;
constexpr CK_FLAGS CKF_OS_LOCKING_OK = 0x2;
constexpr CK_FLAGS CKF_RW_SESSION = 0x2;
constexpr CK_FLAGS CKF_SERIAL_SESSION = 0x4;
constexpr CK_FLAGS CKF_TOKEN_INITIALIZED = 0x400;
constexpr CK_FLAGS CKF_USER_PIN_COUNT_LOW = 0x10000;
constexpr CK_FLAGS CKF_USER_PIN_FINAL_TRY = 0x20000;
constexpr CK_FLAGS CKF_USER_PIN_LOCKED = 0x40000;
constexpr CK_USER_TYPE CKU_USER = 1;
constexpr CK_ULONG CKS_RO_USER_FUNCTIONS = 1;
constexpr CK_ULONG CKS_RW_USER_FUNCTIONS = 3;

constexpr CK_ULONG CKO_PUBLIC_KEY = 2;
constexpr CK_ULONG CKO_PRIVATE_KEY = 3;
constexpr CK_ULONG CKK_EC = 3;
constexpr CK_ULONG CKK_EC_EDWARDS = 0x40;

constexpr CK_ATTRIBUTE_TYPE CKA_CLASS = 0x0;
constexpr CK_ATTRIBUTE_TYPE CKA_TOKEN = 0x1;
constexpr CK_ATTRIBUTE_TYPE CKA_PRIVATE = 0x2;
constexpr CK_ATTRIBUTE_TYPE CKA_LABEL = 0x3;
constexpr CK_ATTRIBUTE_TYPE CKA_KEY_TYPE = 0x100;
constexpr CK_ATTRIBUTE_TYPE CKA_ID = 0x102;
constexpr CK_ATTRIBUTE_TYPE CKA_SENSITIVE = 0x103;
constexpr CK_ATTRIBUTE_TYPE CKA_SIGN = 0x108;
constexpr CK_ATTRIBUTE_TYPE CKA_VERIFY = 0x10A;
constexpr CK_ATTRIBUTE_TYPE CKA_EXTRACTABLE = 0x162;
constexpr CK_ATTRIBUTE_TYPE CKA_EC_PARAMS = 0x180;
constexpr CK_ATTRIBUTE_TYPE CKA_EC_POINT = 0x181;
constexpr CK_ATTRIBUTE_TYPE CKA_ALWAYS_AUTHENTICATE = 0x202;

constexpr CK_MECHANISM_TYPE CKM_EC_KEY_PAIR_GEN = 0x1040;
constexpr CK_MECHANISM_TYPE CKM_ECDSA = 0x1041;
constexpr CK_MECHANISM_TYPE CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
constexpr CK_MECHANISM_TYPE CKM_EDDSA = 0x1057;

constexpr CK_RV CKR_OK = 0x0;
constexpr CK_RV CKR_SLOT_ID_INVALID = 0x3;
constexpr CK_RV CKR_GENERAL_ERROR = 0x5;
constexpr CK_RV CKR_FUNCTION_FAILED = 0x6;
constexpr CK_RV CKR_ATTRIBUTE_SENSITIVE = 0x11;
constexpr CK_RV CKR_ATTRIBUTE_TYPE_INVALID = 0x12;
constexpr CK_RV CKR_DEVICE_ERROR = 0x30;
constexpr CK_RV CKR_DEVICE_MEMORY = 0x31;
constexpr CK_RV CKR_DEVICE_REMOVED = 0x32;
constexpr CK_RV CKR_KEY_HANDLE_INVALID = 0x60;
constexpr CK_RV CKR_MECHANISM_INVALID = 0x70;
constexpr CK_RV CKR_OBJECT_HANDLE_INVALID = 0x82;
constexpr CK_RV CKR_OPERATION_ACTIVE = 0x90;
constexpr CK_RV CKR_OPERATION_NOT_INITIALIZED = 0x91;
constexpr CK_RV CKR_PIN_INCORRECT = 0xA0;
constexpr CK_RV CKR_PIN_LOCKED = 0xA4;
constexpr CK_RV CKR_SESSION_CLOSED = 0xB0;
constexpr CK_RV CKR_SESSION_HANDLE_INVALID = 0xB3;
constexpr CK_RV CKR_TOKEN_NOT_PRESENT = 0xE0;
constexpr CK_RV CKR_TOKEN_NOT_RECOGNIZED = 0xE1;
constexpr CK_RV CKR_USER_ALREADY_LOGGED_IN = 0x100;
constexpr CK_RV CKR_USER_NOT_LOGGED_IN = 0x101;
constexpr CK_RV CKR_BUFFER_TOO_SMALL = 0x150;
constexpr CK_RV CKR_CRYPTOKI_NOT_INITIALIZED = 0x190;
constexpr CK_RV CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;
