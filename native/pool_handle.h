// The JS object over a Pool: queues jobs, settles their promises through a thread-safe function.
#pragma once

#include <napi.h>

#include <memory>

#include "completion_queue.h"
#include "session_pool.h"

namespace hsm {

class PoolHandle : public Napi::ObjectWrap<PoolHandle> {
 public:
  static Napi::Function Define(Napi::Env env);
  // Wraps an opened pool in a new JS object and starts its workers.
  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<Pool> pool);

  explicit PoolHandle(const Napi::CallbackInfo &info);
  ~PoolHandle() override;

 private:
  Napi::Value Keys(const Napi::CallbackInfo &info);
  Napi::Value Sign(const Napi::CallbackInfo &info);
  Napi::Value Generate(const Napi::CallbackInfo &info);
  Napi::Value Ping(const Napi::CallbackInfo &info);
  Napi::Value AesGenerate(const Napi::CallbackInfo &info);
  Napi::Value AesCrypt(const Napi::CallbackInfo &info);
  Napi::Value AesModes(const Napi::CallbackInfo &info);
  Napi::Value Mechanisms(const Napi::CallbackInfo &info);
  Napi::Value TokenInfo(const Napi::CallbackInfo &info);
  Napi::Value Probe(const Napi::CallbackInfo &info);
  Napi::Value Stats(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);

  void Start(Napi::Env env, std::shared_ptr<Pool> pool);
  // `timeout_ms` > 0: the job gets a deadline that far from now (session_pool.h).
  Napi::Value Submit(Napi::Env env, class PromiseJob *job, double timeout_ms = 0);
  void Settle(Napi::Env env, class PromiseJob *job);
  static void Deliver(napi_env env, napi_value, void *context, void *data);
  static void AtExit(void *self);
  void Shutdown();
  void ReleaseChannel(Napi::Env env);
  class CloseWorker;

  std::shared_ptr<Pool> pool_;
  CompletionQueue completions_;
  napi_threadsafe_function tsfn_ = nullptr;
  size_t inflight_ = 0;  // JS thread only
  bool closed_ = false;
};

}  // namespace hsm
