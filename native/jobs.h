// The jobs the addon queues on a pool, and their conversion to JS values.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "job.h"
#include "keys.h"

namespace hsm {

// The class JS errors are made of in `env` (setErrorClass).
void SetErrorClass(Napi::Env env, Napi::Function cls);
// A JS error of the class registered with setErrorClass in `env` (falls back to Error).
Napi::Value ToJsError(Napi::Env env, const Pkcs11Failure &f);
Napi::Object KeyToJs(Napi::Env env, const KeyInfo &k, int ref);

class PromiseJob : public Job {
 public:
  explicit PromiseJob(Napi::Env env) : deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() const { return deferred_.Promise(); }
  void Complete(Napi::Env env) override;
  void Reject(Napi::Env env, const Pkcs11Failure &f);

 protected:
  virtual Napi::Value Result(Napi::Env env) = 0;
  Napi::Promise::Deferred deferred_;
};

class SignJob : public PromiseJob {
 public:
  SignJob(Napi::Env env, int ref, CK_MECHANISM_TYPE mechanism, const uint8_t *data, size_t size);
  void Attempt(JobContext &ctx) override;
  void ForgetKey() override;
  bool KeepsSignAhead() const override { return true; }  // uses or ends it itself

 private:
  Napi::Value Result(Napi::Env env) override;
  Pool *pool_ = nullptr;
  int ref_;
  CK_MECHANISM_TYPE mechanism_;
  std::vector<uint8_t> data_;  // copied before queuing: the JS buffer may change or be collected
  uint8_t signature_[64];      // pre-sized: no length query round trip (PKCS#11 v2.40 §5.2)
  CK_ULONG signature_len_ = 0;
};

class KeysJob : public PromiseJob {
 public:
  using PromiseJob::PromiseJob;
  void Attempt(JobContext &ctx) override;

 private:
  Napi::Value Result(Napi::Env env) override;
  std::vector<KeyInfo> keys_;
  std::vector<int> refs_;
};

class GenerateJob : public PromiseJob {
 public:
  GenerateJob(Napi::Env env, std::string curve, std::string label, Bytes id);
  void Attempt(JobContext &ctx) override;
  bool Idempotent() const override { return false; }

 private:
  Napi::Value Result(Napi::Env env) override;
  std::string curve_, label_;
  Bytes id_;
  KeyInfo key_;
  int ref_ = -1;
};

class PingJob : public PromiseJob {
 public:
  using PromiseJob::PromiseJob;
  void Attempt(JobContext &ctx) override;
  bool KeepsSignAhead() const override { return true; }  // C_GetSessionInfo is no operation

 private:
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }
};

}  // namespace hsm
