#include "errors.h"

namespace hsm {

namespace {
std::string Describe(CK_RV rv, const std::string &fn, const std::string &message) {
  std::string text = fn + " failed: " + RvName(rv);
  if (!message.empty()) text += " (" + message + ")";
  return text;
}
}  // namespace

Pkcs11Failure::Pkcs11Failure(CK_RV rv_, std::string fn_, const std::string &message)
    : std::runtime_error(Describe(rv_, fn_, message)), rv(rv_), fn(std::move(fn_)), code(RvName(rv_)) {}

Pkcs11Failure::Pkcs11Failure(std::string code_, std::string fn_, const std::string &message)
    : std::runtime_error(message), rv(0), fn(std::move(fn_)), code(std::move(code_)) {}

// Names from pkcs11t.h (PKCS#11 v2.40 §5.1 / v3.0 §5.1).
const char *RvName(CK_RV rv) {
  switch (rv) {
    case 0x0:
      return "CKR_OK";
    case 0x1:
      return "CKR_CANCEL";
    case 0x2:
      return "CKR_HOST_MEMORY";
    case 0x3:
      return "CKR_SLOT_ID_INVALID";
    case 0x5:
      return "CKR_GENERAL_ERROR";
    case 0x6:
      return "CKR_FUNCTION_FAILED";
    case 0x7:
      return "CKR_ARGUMENTS_BAD";
    case 0x8:
      return "CKR_NO_EVENT";
    case 0x9:
      return "CKR_NEED_TO_CREATE_THREADS";
    case 0xA:
      return "CKR_CANT_LOCK";
    case 0x10:
      return "CKR_ATTRIBUTE_READ_ONLY";
    case 0x11:
      return "CKR_ATTRIBUTE_SENSITIVE";
    case 0x12:
      return "CKR_ATTRIBUTE_TYPE_INVALID";
    case 0x13:
      return "CKR_ATTRIBUTE_VALUE_INVALID";
    case 0x1B:
      return "CKR_ACTION_PROHIBITED";
    case 0x20:
      return "CKR_DATA_INVALID";
    case 0x21:
      return "CKR_DATA_LEN_RANGE";
    case 0x30:
      return "CKR_DEVICE_ERROR";
    case 0x31:
      return "CKR_DEVICE_MEMORY";
    case 0x32:
      return "CKR_DEVICE_REMOVED";
    case 0x50:
      return "CKR_FUNCTION_CANCELED";
    case 0x51:
      return "CKR_FUNCTION_NOT_PARALLEL";
    case 0x54:
      return "CKR_FUNCTION_NOT_SUPPORTED";
    case 0x60:
      return "CKR_KEY_HANDLE_INVALID";
    case 0x62:
      return "CKR_KEY_SIZE_RANGE";
    case 0x63:
      return "CKR_KEY_TYPE_INCONSISTENT";
    case 0x68:
      return "CKR_KEY_FUNCTION_NOT_PERMITTED";
    case 0x70:
      return "CKR_MECHANISM_INVALID";
    case 0x71:
      return "CKR_MECHANISM_PARAM_INVALID";
    case 0x82:
      return "CKR_OBJECT_HANDLE_INVALID";
    case 0x90:
      return "CKR_OPERATION_ACTIVE";
    case 0x91:
      return "CKR_OPERATION_NOT_INITIALIZED";
    case 0xA0:
      return "CKR_PIN_INCORRECT";
    case 0xA1:
      return "CKR_PIN_INVALID";
    case 0xA2:
      return "CKR_PIN_LEN_RANGE";
    case 0xA3:
      return "CKR_PIN_EXPIRED";
    case 0xA4:
      return "CKR_PIN_LOCKED";
    case 0xB0:
      return "CKR_SESSION_CLOSED";
    case 0xB1:
      return "CKR_SESSION_COUNT";
    case 0xB3:
      return "CKR_SESSION_HANDLE_INVALID";
    case 0xB4:
      return "CKR_SESSION_PARALLEL_NOT_SUPPORTED";
    case 0xB5:
      return "CKR_SESSION_READ_ONLY";
    case 0xB6:
      return "CKR_SESSION_EXISTS";
    case 0xB7:
      return "CKR_SESSION_READ_ONLY_EXISTS";
    case 0xB8:
      return "CKR_SESSION_READ_WRITE_SO_EXISTS";
    case 0xC0:
      return "CKR_SIGNATURE_INVALID";
    case 0xC1:
      return "CKR_SIGNATURE_LEN_RANGE";
    case 0xD0:
      return "CKR_TEMPLATE_INCOMPLETE";
    case 0xD1:
      return "CKR_TEMPLATE_INCONSISTENT";
    case 0xE0:
      return "CKR_TOKEN_NOT_PRESENT";
    case 0xE1:
      return "CKR_TOKEN_NOT_RECOGNIZED";
    case 0xE2:
      return "CKR_TOKEN_WRITE_PROTECTED";
    case 0x100:
      return "CKR_USER_ALREADY_LOGGED_IN";
    case 0x101:
      return "CKR_USER_NOT_LOGGED_IN";
    case 0x102:
      return "CKR_USER_PIN_NOT_INITIALIZED";
    case 0x103:
      return "CKR_USER_TYPE_INVALID";
    case 0x104:
      return "CKR_USER_ANOTHER_ALREADY_LOGGED_IN";
    case 0x105:
      return "CKR_USER_TOO_MANY_TYPES";
    case 0x130:
      return "CKR_DOMAIN_PARAMS_INVALID";
    case 0x140:
      return "CKR_CURVE_NOT_SUPPORTED";
    case 0x150:
      return "CKR_BUFFER_TOO_SMALL";
    case 0x160:
      return "CKR_SAVED_STATE_INVALID";
    case 0x170:
      return "CKR_INFORMATION_SENSITIVE";
    case 0x180:
      return "CKR_STATE_UNSAVEABLE";
    case 0x190:
      return "CKR_CRYPTOKI_NOT_INITIALIZED";
    case 0x191:
      return "CKR_CRYPTOKI_ALREADY_INITIALIZED";
    case 0x1A0:
      return "CKR_MUTEX_BAD";
    case 0x1A1:
      return "CKR_MUTEX_NOT_LOCKED";
    case 0x200:
      return "CKR_FUNCTION_REJECTED";
    case 0x1B0:
      return "CKR_NEW_PIN_MODE";
    case 0x1B1:
      return "CKR_NEXT_OTP";
    default:
      return rv >= 0x80000000UL ? "CKR_VENDOR_DEFINED" : "CKR_UNKNOWN";
  }
}

// The classes of docs/hsm.md, "Recovery". The pool's recovery loop (recovery.cpp) acts on this classification.
Recovery RecoveryOf(CK_RV rv) {
  switch (rv) {
    case CKR_FUNCTION_FAILED:
    case CKR_DEVICE_ERROR:
    case CKR_DEVICE_MEMORY:
    case CKR_GENERAL_ERROR:
      return Recovery::Retry;
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_OPERATION_ACTIVE:  // an orphaned C_SignInit left the session busy: recycle, then retry
      return Recovery::Recycle;
    case CKR_USER_NOT_LOGGED_IN:
      return Recovery::Relogin;
    case CKR_SLOT_ID_INVALID:  // the slot went away with its token (or the library forgot it)
    case CKR_DEVICE_REMOVED:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_TOKEN_NOT_RECOGNIZED:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
      return Recovery::Reinitialize;
    case CKR_PIN_INCORRECT:
    case CKR_PIN_LOCKED:
    case 0xA1:  // CKR_PIN_INVALID
    case 0xA2:  // CKR_PIN_LEN_RANGE
    case 0xA3:  // CKR_PIN_EXPIRED
      return Recovery::Fatal;
    default:
      return Recovery::None;
  }
}

const char *RecoveryName(Recovery r) {
  switch (r) {
    case Recovery::Retry:
      return "retry";
    case Recovery::Recycle:
      return "recycle";
    case Recovery::Relogin:
      return "relogin";
    case Recovery::Reinitialize:
      return "reinitialize";
    case Recovery::Fatal:
      return "fatal";
    case Recovery::None:
      break;
  }
  return "none";
}

void Check(CK_RV rv, const char *fn) {
  if (rv != CKR_OK) throw Pkcs11Failure(rv, fn, "");
}

Pkcs11Failure CaughtFailure(const char *fn) {
  try {
    throw;
  } catch (const Pkcs11Failure &f) {
    return f;
  } catch (const std::exception &e) {
    return Pkcs11Failure("ERR_HSM_INTERNAL", fn, e.what());
  } catch (...) {
    return Pkcs11Failure("ERR_HSM_INTERNAL", fn, "an exception that is no std::exception");
  }
}

}  // namespace hsm
