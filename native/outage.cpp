#include "outage.h"

namespace hsm {

Outage::Admission Outage::Admit() {
  if (!down_.load()) return Admission::Normal;
  std::lock_guard<std::mutex> lock(mu_);
  if (!down_.load()) return Admission::Normal;
  if (probing_ || std::chrono::steady_clock::now() < next_probe_) return Admission::Refuse;
  probing_ = true;
  return Admission::Probe;
}

void Outage::Failed(const Pkcs11Failure &why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!down_.load()) {
    down_ = true;
    count_++;
    backoff_ = kFirstBackoff;
  } else if (probing_) {
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  }
  probing_ = false;
  // A refusal repeats the cause: keep the original one rather than nest "token unavailable:" in it.
  if (why.code != "ERR_HSM_UNAVAILABLE") {
    cause_ = why.what();
    cause_rv_ = why.rv;
    cause_fn_ = why.fn;
  }
  next_probe_ = std::chrono::steady_clock::now() + backoff_;
}

void Outage::Abandoned() {
  std::lock_guard<std::mutex> lock(mu_);
  probing_ = false;
}

void Outage::Recovered() {
  std::lock_guard<std::mutex> lock(mu_);
  down_ = false;
  probing_ = false;
  cause_.clear();
}

Pkcs11Failure Outage::Refusal() {
  std::lock_guard<std::mutex> lock(mu_);
  Pkcs11Failure f("ERR_HSM_UNAVAILABLE", cause_fn_, "token unavailable: " + cause_);
  f.rv = cause_rv_;
  f.recovery = Recovery::Reinitialize;  // what JS reads when rv is 0 (ERR_HSM_TOKEN_NOT_FOUND)
  return f;
}

bool IsOutage(const Pkcs11Failure &f) {
  if (f.rv == CKR_OK) return f.code == "ERR_HSM_TOKEN_NOT_FOUND" || f.code == "ERR_HSM_UNAVAILABLE";
  switch (f.rv) {
    case CKR_SLOT_ID_INVALID:
    case CKR_DEVICE_ERROR:
    case CKR_DEVICE_MEMORY:
    case CKR_DEVICE_REMOVED:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_TOKEN_NOT_RECOGNIZED:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
      return true;
    default:
      return false;
  }
}

}  // namespace hsm
