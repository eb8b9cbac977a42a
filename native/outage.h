// The token as unavailable: what a pool does once recovery in place (retry, recycle, one
// reinitialisation) has failed. Jobs are refused at once with ERR_HSM_UNAVAILABLE naming the cause, and
// at most one job per backoff interval is let through as a probe, which reinitialises the library and
// selects the token again from scratch (a client library whose server went away may need a fresh
// C_Initialize to reconnect, and may show no slots for a while after it). The interval doubles from
// kFirstBackoff to kMaxBackoff while probes fail, so a token that comes back is used again within
// kMaxBackoff of the next request, without a restart.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include "errors.h"

namespace hsm {

class Outage {
 public:
  static constexpr std::chrono::milliseconds kFirstBackoff{100};
  static constexpr std::chrono::milliseconds kMaxBackoff{2000};

  enum class Admission { Normal, Probe, Refuse };
  // Normal: no outage. Probe: this caller is the one attempt of the interval (it must end with Failed or
  // Recovered). Refuse: answer Refusal().
  Admission Admit();
  // The token was found unavailable (`why`); starts (or, after a probe, extends) the outage.
  void Failed(const Pkcs11Failure &why);
  // A probe reached the token, logged in and opened its session.
  void Recovered();
  // A probe that ended with neither verdict (its deadline passed while it reinitialised): without this
  // the outage would refuse every later job, waiting for a verdict that never comes.
  void Abandoned();
  // ERR_HSM_UNAVAILABLE carrying the rv and function of the failure that started the outage (or of the
  // last failed probe) and its message as the cause.
  Pkcs11Failure Refusal();
  bool down() const { return down_.load(); }
  size_t count() const { return count_.load(); }

 private:
  std::mutex mu_;
  std::atomic<bool> down_{false};
  std::atomic<size_t> count_{0};  // outages since open
  bool probing_ = false;
  std::string cause_;
  CK_RV cause_rv_ = CKR_OK;
  std::string cause_fn_;
  std::chrono::milliseconds backoff_{kFirstBackoff};
  std::chrono::steady_clock::time_point next_probe_;
};

// Failures that mean the token or the library behind it is gone, not that one request was wrong
// (PKCS#11 v2.40 §5.1: slot, token and device return values; ERR_HSM_TOKEN_NOT_FOUND when the slot list
// no longer shows it). Not CKR_GENERAL_ERROR: SoftHSM2 answers a GCM tag that does not verify with it.
bool IsOutage(const Pkcs11Failure &f);

}  // namespace hsm
