// The base of every libuv-pool worker of the addon (open, slot listing, close): one promise, settled
// however Execute ends. Napi::AsyncWorker alone turns a std::exception into an error callback (none
// here, so the promise would stay pending) and lets anything else reach std::terminate.
#pragma once

#include <napi.h>

#include <memory>

#include "errors.h"

namespace hsm {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  // `fn`: the name a failure that is not a Pkcs11Failure carries (Pkcs11Error.fn).
  PromiseWorker(Napi::Env env, const char *fn);
  // Queues the work and returns its promise; the worker deletes itself once it is settled.
  Napi::Promise Start();

 protected:
  // Worker thread; may throw anything (CaughtFailure maps it to the one JS error class).
  virtual void Run() = 0;
  // JS thread, after Run returned.
  virtual Napi::Value Result(Napi::Env env) = 0;
  // JS thread, before the promise is settled either way.
  virtual void Finish(Napi::Env) {}

 private:
  void Execute() final;
  void OnOK() final;
  void OnError(const Napi::Error &) final;

  const char *fn_;
  std::unique_ptr<Pkcs11Failure> failure_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace hsm
