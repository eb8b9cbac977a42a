// What the selected token says about itself: its mechanisms (C_GetMechanismList, C_GetMechanismInfo)
// and its CK_TOKEN_INFO, read on a pool worker so they share the pool's recovery. The signer offers only
// keys whose signing mechanism is listed; diagnostics show the rest.
#pragma once

#include <napi.h>

#include <vector>

#include "jobs.h"

namespace hsm {

class MechanismsJob : public PromiseJob {
 public:
  using PromiseJob::PromiseJob;
  void Attempt(JobContext &ctx) override;
  bool KeepsSignAhead() const override { return true; }  // slot queries, no session operation

 private:
  Napi::Value Result(Napi::Env env) override;
  std::vector<CK_MECHANISM_TYPE> types_;
  std::vector<CK_MECHANISM_INFO> infos_;
};

class TokenInfoJob : public PromiseJob {
 public:
  using PromiseJob::PromiseJob;
  void Attempt(JobContext &ctx) override;
  bool KeepsSignAhead() const override { return true; }

 private:
  Napi::Value Result(Napi::Env env) override;
  CK_SLOT_ID slot_ = 0;
  CK_TOKEN_INFO info_{};
};

}  // namespace hsm
