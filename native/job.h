// A unit of work run by a pool worker on its own session, completed later on the JS thread.
#pragma once

#include <napi.h>

#include <memory>

#include "errors.h"
#include "pkcs11_defs.h"
#include "sign_ahead.h"
#include "stage_trace.h"

namespace hsm {

class Pool;

struct JobContext {
  Pool &pool;
  CK_FUNCTION_LIST *fl;
  CK_SESSION_HANDLE session;
  bool &recycle_session;  // set when the job left the session in an unknown state
  SignAhead &ahead;       // the session's; never armed unless the pool signs ahead (sign_ahead.h)

  // Check() for a single-part operation (C_Sign, C_Encrypt, C_Verify, …). Per PKCS#11 v2.40 §5.2 only
  // CKR_BUFFER_TOO_SMALL leaves the operation active, but a failing device may not honour that: any
  // failure recycles the session rather than trust its state.
  void CheckOperation(CK_RV rv, const char *fn) {
    if (rv != CKR_OK) recycle_session = true;
    Check(rv, fn);
  }
};

class Job {
 public:
  virtual ~Job() = default;
  // One attempt on the worker thread; throws Pkcs11Failure. The recovery loop may call it again.
  virtual void Attempt(JobContext &ctx) = 0;
  // A cached key handle proved invalid (CKR_KEY_HANDLE_INVALID / CKR_OBJECT_HANDLE_INVALID).
  virtual void ForgetKey() {}
  // False when repeating Attempt after an ambiguous failure could have a second effect.
  virtual bool Idempotent() const { return true; }
  // False when an operation armed ahead on the session must end first (Pool::Execute).
  virtual bool KeepsSignAhead() const { return false; }
  // JS thread: settle the promise from the result or `failure`.
  virtual void Complete(Napi::Env env) = 0;

  std::unique_ptr<Pkcs11Failure> failure;
  StageTrace trace;  // bench only (stage_trace.h)
};

}  // namespace hsm
