// A unit of work run by a pool worker on its own session, completed later on the JS thread.
#pragma once

#include <napi.h>

#include <atomic>
#include <chrono>
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

  // Deadlines (session_pool.h): a job not answered by `deadline` is answered with ERR_HSM_TIMEOUT by the
  // pool's watchdog or by the worker that dequeues it; its own result, if it ever comes, is dropped.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // deadline − submission (zero: none). A worker preparing its next sign after this job gives its
  // C_SignInit as long (worker.cpp): the token is expected to answer a call within a request's budget.
  std::chrono::steady_clock::duration budget{};
  // Set (under the pool's queue lock) before the job is handed over for a timeout answer; the recovery
  // loop reads it to stop retrying a job nobody waits for.
  std::atomic<bool> timed_out{false};
  // 2 while a timed-out job is still inside its call: the JS thread and the stuck worker each drop one,
  // and whoever drops the last deletes the job.
  std::atomic<int> holders{1};
  bool Drop() { return holders.fetch_sub(1) == 1; }
};

}  // namespace hsm
