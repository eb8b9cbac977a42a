#include "promise_worker.h"

#include "jobs.h"

namespace hsm {

PromiseWorker::PromiseWorker(Napi::Env env, const char *fn)
    : Napi::AsyncWorker(env), fn_(fn), deferred_(Napi::Promise::Deferred::New(env)) {}

Napi::Promise PromiseWorker::Start() {
  Napi::Promise promise = deferred_.Promise();
  Queue();
  return promise;
}

void PromiseWorker::Execute() {
  try {
    Run();
  } catch (...) {
    failure_ = std::make_unique<Pkcs11Failure>(CaughtFailure(fn_));
    SetError(failure_->what());  // OnError, not OnOK, runs next
  }
}

void PromiseWorker::OnOK() {
  Napi::Env env = Env();
  Finish(env);
  try {
    deferred_.Resolve(Result(env));
  } catch (const Napi::Error &e) {
    deferred_.Reject(e.Value());  // building the result threw in JS (teardown, a getter)
  }
}

void PromiseWorker::OnError(const Napi::Error &) {
  Napi::Env env = Env();
  Finish(env);
  deferred_.Reject(ToJsError(env, *failure_));
}

}  // namespace hsm
