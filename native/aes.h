// AES-256 keys inside the token and AES-GCM encrypt/decrypt on a pool session: the HSM seals tz4 (BLS)
// secrets it cannot sign with (issue #8, docs/tz4.md). Arguments are checked in src/hsm/hsm.ts.
#pragma once

#include <napi.h>

#include <string>

#include "jobs.h"

namespace hsm {

// C_GenerateKey CKM_AES_KEY_GEN, 256-bit token object: sensitive, non-extractable, encrypt/decrypt only.
// Refuses a label already used by a secret key.
class AesGenerateJob : public PromiseJob {
 public:
  AesGenerateJob(Napi::Env env, std::string label) : PromiseJob(env), label_(std::move(label)) {}
  void Attempt(JobContext &ctx) override;
  bool Idempotent() const override { return false; }

 private:
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }
  std::string label_;
};

// Single-part C_Encrypt / C_Decrypt with CKM_AES_GCM (12-byte IV, 128-bit tag, AAD) under the one AES key
// labelled `label`. Encrypt returns ciphertext ‖ tag; decrypt takes it and returns the plaintext.
class AesCryptJob : public PromiseJob {
 public:
  AesCryptJob(Napi::Env env, bool encrypt, std::string label, Bytes iv, Bytes aad, Bytes input);
  ~AesCryptJob() override;
  void Attempt(JobContext &ctx) override;

 private:
  Napi::Value Result(Napi::Env env) override;
  bool encrypt_;
  std::string label_;
  Bytes iv_, aad_, input_, output_;  // input_ / output_ may hold a secret: zeroed in the destructor
};

}  // namespace hsm
