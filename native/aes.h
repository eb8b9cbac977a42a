// AES-256 keys inside the token and authenticated encryption on a pool session: the HSM seals tz4 (BLS)
// secrets it cannot sign with (issue #8, docs/tz4.md). Arguments are checked in src/hsm/aes-args.ts.
//
// Two constructions, the sealed file records which:
//  - Gcm: CKM_AES_GCM, 12-byte IV, AAD, 128-bit tag.
//  - CbcHmac, for tokens without CKM_AES_GCM: encrypt-then-MAC with two token keys under one label, an
//    AES-256 key (CKM_AES_CBC_PAD, 16-byte IV) and a 256-bit generic secret (CKM_SHA256_HMAC) over
//    u32be(|aad|) ‖ aad ‖ iv ‖ ciphertext; output ciphertext ‖ 32-byte tag, the tag checked (C_Verify)
//    before anything is decrypted. The AES key-wrap mechanisms are no alternative: SoftHSM2 offers them
//    for C_WrapKey only, not C_Encrypt, and they bind no AAD.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "jobs.h"

namespace hsm {

enum class AesMode { Gcm = 0, CbcHmac = 1 };

// C_GenerateKey CKM_AES_KEY_GEN, 256-bit token object: sensitive, non-extractable, encrypt/decrypt only;
// for CbcHmac also CKM_GENERIC_SECRET_KEY_GEN, 256 bits, sign/verify only, same label. Makes whichever of
// the two is missing; refuses (ERR_HSM_KEY_EXISTS) when none is.
class AesGenerateJob : public PromiseJob {
 public:
  AesGenerateJob(Napi::Env env, std::string label, AesMode mode)
      : PromiseJob(env), label_(std::move(label)), mode_(mode) {}
  void Attempt(JobContext &ctx) override;
  bool Idempotent() const override { return false; }

 private:
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }
  std::string label_;
  AesMode mode_;
};

// Which constructions the token offers (C_GetMechanismInfo): { gcm: boolean, cbcHmac: boolean, missing:
// string[] } (the CKM_ names of those it lacks or offers without the needed flags).
class AesModesJob : public PromiseJob {
 public:
  using PromiseJob::PromiseJob;
  void Attempt(JobContext &ctx) override;

 private:
  Napi::Value Result(Napi::Env env) override;
  bool gcm_ = false, cbc_hmac_ = false;
  std::vector<std::string> missing_;
};

// Single-part C_Encrypt / C_Decrypt under the keys labelled `label`. Encrypt returns { iv, sealed }:
// ciphertext ‖ tag and the IV as the token left it (a token may replace the caller's GCM IV with its own,
// aes.cpp); decrypt takes ciphertext ‖ tag and returns the plaintext.
class AesCryptJob : public PromiseJob {
 public:
  AesCryptJob(Napi::Env env, AesMode mode, bool encrypt, std::string label, Bytes iv, Bytes aad, Bytes input);
  ~AesCryptJob() override;
  void Attempt(JobContext &ctx) override;

 private:
  Napi::Value Result(Napi::Env env) override;
  void Gcm(JobContext &ctx);
  void CbcHmac(JobContext &ctx);
  AesMode mode_;
  bool encrypt_;
  std::string label_;
  Bytes iv_, aad_, input_, output_;  // input_ / output_ may hold a secret: zeroed in the destructor
};

}  // namespace hsm
