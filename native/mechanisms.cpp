#include "mechanisms.h"

#include "session_pool.h"
#include "token.h"

namespace hsm {

namespace {
// CK_UNAVAILABLE_INFORMATION as null; other counts as numbers (0 in a max count is
// CK_EFFECTIVELY_INFINITE, PKCS#11 v2.40 §3.2).
Napi::Value Count(Napi::Env env, CK_ULONG v) {
  if (v == CK_UNAVAILABLE_INFORMATION) return env.Null();
  return Napi::Number::New(env, static_cast<double>(v));
}

std::string Version(const CK_VERSION &v) { return std::to_string(v.major) + "." + std::to_string(v.minor); }
}  // namespace

void MechanismsJob::Attempt(JobContext &ctx) {
  CK_SLOT_ID slot = ctx.pool.slot();
  CK_ULONG count = 0;
  Check(ctx.fl->C_GetMechanismList(slot, nullptr, &count), "C_GetMechanismList");
  // One spare element: the RPC client of p11-kit 0.24 (Debian bookworm) drops the mechanisms it cannot
  // forward with a memmove that reads one element past the list it was given (rpc-client.c,
  // mechanism_list_purge).
  types_.assign(count + 1, 0);
  if (count > 0) Check(ctx.fl->C_GetMechanismList(slot, types_.data(), &count), "C_GetMechanismList");
  types_.resize(count);
  std::vector<CK_MECHANISM_TYPE> listed;
  listed.swap(types_);
  infos_.clear();
  for (CK_MECHANISM_TYPE type : listed) {
    CK_MECHANISM_INFO info{};
    CK_RV rv = ctx.fl->C_GetMechanismInfo(slot, type, &info);
    if (rv == CKR_MECHANISM_INVALID) continue;  // listed, yet refused by name: the token does not offer it
    Check(rv, "C_GetMechanismInfo");
    types_.push_back(type);
    infos_.push_back(info);
  }
}

Napi::Value MechanismsJob::Result(Napi::Env env) {
  Napi::Array out = Napi::Array::New(env, types_.size());
  for (size_t i = 0; i < types_.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("type", Napi::Number::New(env, static_cast<double>(types_[i])));
    o.Set("minKeySize", Napi::Number::New(env, static_cast<double>(infos_[i].ulMinKeySize)));
    o.Set("maxKeySize", Napi::Number::New(env, static_cast<double>(infos_[i].ulMaxKeySize)));
    o.Set("flags", Napi::Number::New(env, static_cast<double>(infos_[i].flags)));
    out.Set(i, o);
  }
  return out;
}

void TokenInfoJob::Attempt(JobContext &ctx) {
  slot_ = ctx.pool.slot();
  Check(ctx.fl->C_GetTokenInfo(slot_, &info_), "C_GetTokenInfo");
}

Napi::Value TokenInfoJob::Result(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("slot", Napi::BigInt::New(env, static_cast<uint64_t>(slot_)));
  o.Set("label", Trim(info_.label, sizeof info_.label));
  o.Set("manufacturer", Trim(info_.manufacturerID, sizeof info_.manufacturerID));
  o.Set("model", Trim(info_.model, sizeof info_.model));
  o.Set("serial", Trim(info_.serialNumber, sizeof info_.serialNumber));
  o.Set("flags", Napi::Number::New(env, static_cast<double>(info_.flags)));
  o.Set("maxSessionCount", Count(env, info_.ulMaxSessionCount));
  o.Set("sessionCount", Count(env, info_.ulSessionCount));
  o.Set("maxRwSessionCount", Count(env, info_.ulMaxRwSessionCount));
  o.Set("rwSessionCount", Count(env, info_.ulRwSessionCount));
  o.Set("maxPinLen", Count(env, info_.ulMaxPinLen));
  o.Set("minPinLen", Count(env, info_.ulMinPinLen));
  o.Set("totalPublicMemory", Count(env, info_.ulTotalPublicMemory));
  o.Set("freePublicMemory", Count(env, info_.ulFreePublicMemory));
  o.Set("totalPrivateMemory", Count(env, info_.ulTotalPrivateMemory));
  o.Set("freePrivateMemory", Count(env, info_.ulFreePrivateMemory));
  o.Set("hardwareVersion", Version(info_.hardwareVersion));
  o.Set("firmwareVersion", Version(info_.firmwareVersion));
  return o;
}

}  // namespace hsm
