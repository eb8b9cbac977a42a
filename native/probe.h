// The latency probe of `hsm check`: C_SignInit + C_Sign timed on a key pair made for the probe, so that no
// key kept on the token signs throw-away data and the token's generation of the curve is tried on the
// way. Session objects (CKA_TOKEN false, gone with the session) where the token allows them, else token
// objects labelled kProbeLabel; destroyed at the end either way.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "jobs.h"

namespace hsm {

inline constexpr const char *kProbeLabel = "tezos-hsm-signer-probe";

// probe(curve, count): resolves with { micros: `count` durations in microseconds, one per C_SignInit +
// C_Sign; onToken: whether the key pair had to be made as token objects }.
// Rejects with the token's error when it cannot make or use a key of that curve.
class ProbeJob : public PromiseJob {
 public:
  ProbeJob(Napi::Env env, std::string curve, uint32_t count)
      : PromiseJob(env), curve_(std::move(curve)), count_(count) {}
  void Attempt(JobContext &ctx) override;

 private:
  Napi::Value Result(Napi::Env env) override;
  std::string curve_;
  uint32_t count_;
  std::vector<double> micros_;
  bool on_token_ = false;
};

}  // namespace hsm
