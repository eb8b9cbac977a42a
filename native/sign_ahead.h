// C_SignInit done ahead of the next sign while a worker is idle, so a lone sign costs C_Sign + verify
// only: on SoftHSM2 C_SignInit is a third of a P-256 round trip, on a network HSM a round trip of its
// own (docs/hsm.md, "Where one sign's time goes").
// On unless HsmOptions.signAhead is false: it leaves a signing operation active on an idle session.
#pragma once

#include "pkcs11_defs.h"

namespace hsm {

// Per worker session, touched only by its worker thread.
class SignAhead {
 public:
  // A sign with (key, mechanism) succeeded on this session.
  void Signed(CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mechanism);
  // Idle worker: C_SignInit for the key of the last two signs when they used the same one (alternating
  // keys would pay a throw-away C_Sign at every switch). A failure only leaves nothing armed, and no new
  // attempt before the next sign: that sign initialises itself and reports what goes wrong.
  void Arm(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s);
  // True when an operation for (key, mechanism) is armed: the caller goes straight to C_Sign. An operation
  // armed for another key is ended first (Release).
  bool Take(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mechanism);
  // Ends an armed operation before another job uses the session. PKCS#11 2.40 has no cancel: a
  // throw-away C_Sign over 32 zero bytes (its signature is dropped; no operation hashes to zero). If that
  // fails the operation ended too (§5.2), and a session left busy answers CKR_OPERATION_ACTIVE, which
  // recycles it (recovery.cpp).
  void Release(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s);
  // The session was closed or reopened: whatever was armed is gone.
  void Forget() { armed_ = {}; }

 private:
  struct Op {
    CK_OBJECT_HANDLE key = 0;
    CK_MECHANISM_TYPE mechanism = 0;
    bool operator==(const Op &o) const { return key == o.key && mechanism == o.mechanism; }
  };
  Op armed_, last_;        // key 0: none
  bool repeated_ = false;  // the last two signs used last_
};

}  // namespace hsm
