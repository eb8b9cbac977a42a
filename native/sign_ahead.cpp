#include "sign_ahead.h"

namespace hsm {

void SignAhead::Signed(CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mechanism) {
  Op op{key, mechanism};
  repeated_ = op == last_;
  last_ = op;
}

void SignAhead::Arm(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s) {
  if (armed_.key != 0 || last_.key == 0 || !repeated_) return;
  CK_MECHANISM mech{last_.mechanism, nullptr, 0};
  if (fl->C_SignInit(s, &mech, last_.key) == CKR_OK) {
    armed_ = last_;
  } else {
    repeated_ = false;  // not again before the next sign: a token that refuses it costs one call per sign
  }
}

bool SignAhead::Take(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mechanism) {
  if (armed_ == Op{key, mechanism}) {
    armed_ = {};
    return true;
  }
  Release(fl, s);
  return false;
}

void SignAhead::Release(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s) {
  if (armed_.key == 0) return;
  armed_ = {};
  uint8_t zero[32] = {}, signature[132];
  CK_ULONG len = sizeof signature;
  fl->C_Sign(s, zero, sizeof zero, signature, &len);
}

}  // namespace hsm
