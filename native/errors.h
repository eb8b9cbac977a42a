// PKCS#11 failures as C++ exceptions, their CKR_ names and their recovery class (docs/hsm.md, "Recovery").
#pragma once

#include <stdexcept>
#include <string>

#include "pkcs11_defs.h"

namespace hsm {

enum class Recovery { None, Retry, Recycle, Relogin, Reinitialize, Fatal };

// rv == 0 marks a failure that is not a PKCS#11 return value (load error, token or key not found);
// `code` then names it (e.g. "ERR_HSM_LOAD").
struct Pkcs11Failure : std::runtime_error {
  CK_RV rv;
  std::string fn;
  std::string code;
  // For rv == 0 only (rv != 0 is classified by RecoveryOf): Retry marks a device fault that is not a
  // return value, e.g. a signature that does not verify (recovery.cpp re-runs the job once on a new session).
  Recovery recovery = Recovery::None;
  Pkcs11Failure(CK_RV rv, std::string fn, const std::string &message);
  Pkcs11Failure(std::string code, std::string fn, const std::string &message);
};

const char *RvName(CK_RV rv);
Recovery RecoveryOf(CK_RV rv);
const char *RecoveryName(Recovery r);

// Throws Pkcs11Failure unless rv is CKR_OK.
void Check(CK_RV rv, const char *fn);

// Inside a catch block: the exception being handled as a Pkcs11Failure (itself, or ERR_HSM_INTERNAL with
// `fn` for any other std::exception or anything else thrown), so every failure reaches JS as Pkcs11Error.
Pkcs11Failure CaughtFailure(const char *fn);

}  // namespace hsm
