#include "jobs.h"

#include <cassert>

#include "addon_data.h"
#include "session_pool.h"
#include "verify.h"

namespace hsm {

void SetErrorClass(Napi::Env env, Napi::Function cls) { AddonData::Of(env).error_class = Napi::Persistent(cls); }

Napi::Value ToJsError(Napi::Env env, const Pkcs11Failure &f) {
  Napi::Object details = Napi::Object::New(env);
  details.Set("code", f.code);
  details.Set("rv", Napi::Number::New(env, static_cast<double>(f.rv)));
  details.Set("fn", f.fn);
  details.Set("recovery", RecoveryName(f.rv == CKR_OK ? f.recovery : RecoveryOf(f.rv)));
  Napi::FunctionReference &cls = AddonData::Of(env).error_class;
  if (cls.IsEmpty()) {
    Napi::Error e = Napi::Error::New(env, f.what());
    e.Set("code", f.code);
    return e.Value();
  }
  return cls.New({Napi::String::New(env, f.what()), details});
}

namespace {

// Whether the addon can verify signatures of `pub` (always true when it verifies none). The parsed key is
// dropped here: the pool parses it again on the key's first signature (Pool::ResolveKey).
bool VerifiableKey(const PublicKey &pub) {
  return !NativeVerifyAvailable() || VerifyKey::Create(pub.curve, pub.point) != nullptr;
}

}  // namespace

Napi::Object KeyToJs(Napi::Env env, const KeyInfo &k, int ref) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ref", ref);
  o.Set("label", k.label);
  o.Set("id", Napi::Buffer<uint8_t>::Copy(env, k.id.data(), k.id.size()));
  o.Set("keyType", Napi::Number::New(env, static_cast<double>(k.key_type)));
  o.Set("alwaysAuthenticate", k.always_authenticate);
  o.Set("curve", k.pub.curve);
  o.Set("publicKey", Napi::Buffer<uint8_t>::Copy(env, k.pub.point.data(), k.pub.point.size()));
  o.Set("error", k.pub.error);
  return o;
}

void PromiseJob::Reject(Napi::Env env, const Pkcs11Failure &f) { deferred_.Reject(ToJsError(env, f)); }

void PromiseJob::Complete(Napi::Env env) {
  if (failure) return Reject(env, *failure);
  deferred_.Resolve(Result(env));
}

SignJob::SignJob(Napi::Env env, int ref, CK_MECHANISM_TYPE mechanism, const uint8_t *data, size_t size)
    : PromiseJob(env), ref_(ref), mechanism_(mechanism), data_(data, data + size) {}

void SignJob::Attempt(JobContext &ctx) {
  pool_ = &ctx.pool;
  ResolvedKey key = ctx.pool.ResolveKey(ref_, ctx.fl, ctx.session, ctx.ahead);
  CK_MECHANISM mech{mechanism_, nullptr, 0};
  bool armed = ctx.ahead.Take(ctx.fl, ctx.session, key.handle, mechanism_);
  if (!armed) Check(ctx.fl->C_SignInit(ctx.session, &mech, key.handle), "C_SignInit");
  trace.Mark(Stage::SignInit);
  signature_len_ = sizeof signature_;
  CK_RV rv = ctx.fl->C_Sign(ctx.session, data_.data(), data_.size(), signature_, &signature_len_);
  if (armed && rv == CKR_OPERATION_NOT_INITIALIZED) {
    // The token dropped the operation armed ahead (a session timeout, say): initialise it now.
    armed = false;
    Check(ctx.fl->C_SignInit(ctx.session, &mech, key.handle), "C_SignInit");
    signature_len_ = sizeof signature_;
    rv = ctx.fl->C_Sign(ctx.session, data_.data(), data_.size(), signature_, &signature_len_);
  }
  ctx.CheckOperation(rv, "C_Sign");
  trace.Mark(Stage::Signed);
  // ResolveKey builds it (or throws) for a pool that verifies.
  assert(key.verify != nullptr || !NativeVerifyAvailable() || !ctx.pool.verifies_signatures());
  // A faulty device must not hand out a signature that does not verify (the client rejects it and the
  // baker stalls): treat it as a device fault, which recovery.cpp retries once on a fresh session.
  // A pool opened without verification leaves the check to its caller (Hsm.verifiesSignatures false).
  if (key.verify != nullptr && ctx.pool.verifies_signatures() &&
      !key.verify->Verify(data_.data(), data_.size(), signature_, signature_len_)) {
    ctx.recycle_session = true;
    Pkcs11Failure f("ERR_HSM_BAD_SIGNATURE", "C_Sign", "the HSM returned a signature that does not verify");
    f.recovery = Recovery::Retry;
    throw f;
  }
  trace.Mark(Stage::Verified);
  ctx.ahead.Signed(key.handle, mechanism_);
  ctx.pool.CountSign(armed);
}

void SignJob::ForgetKey() {
  if (pool_ != nullptr) pool_->ForgetKey(ref_);
}

Napi::Value SignJob::Result(Napi::Env env) { return Napi::Buffer<uint8_t>::Copy(env, signature_, signature_len_); }

void KeysJob::Attempt(JobContext &ctx) {
  keys_ = ListPrivateKeys(ctx.fl, ctx.session);
  refs_.assign(keys_.size(), -1);
  for (size_t i = 0; i < keys_.size(); i++) {
    const KeyInfo &k = keys_[i];
    // Keys needing a PIN per signature (CKA_ALWAYS_AUTHENTICATE) cannot be used unattended.
    if (k.pub.curve.empty() || k.always_authenticate) continue;
    if (!VerifiableKey(k.pub)) {
      keys_[i].pub.error =
          "signature verification refuses the public key (not a point on the curve)";  // no signature of it could be
                                                                                       // verified
      continue;
    }
    refs_[i] = ctx.pool.RegisterKey(k.label, k.id, k.handle, k.pub);
  }
}

Napi::Value KeysJob::Result(Napi::Env env) {
  Napi::Array out = Napi::Array::New(env, keys_.size());
  for (size_t i = 0; i < keys_.size(); i++) out.Set(i, KeyToJs(env, keys_[i], refs_[i]));
  return out;
}

GenerateJob::GenerateJob(Napi::Env env, std::string curve, std::string label, Bytes id)
    : PromiseJob(env), curve_(std::move(curve)), label_(std::move(label)), id_(std::move(id)) {}

void GenerateJob::Attempt(JobContext &ctx) {
  key_ = GenerateKeyPair(ctx.fl, ctx.session, curve_, label_, id_);
  if (key_.pub.curve.empty()) {
    throw Pkcs11Failure("ERR_HSM_KEYGEN", "C_GenerateKeyPair", "generated key has an unreadable public point");
  }
  if (!VerifiableKey(key_.pub)) {
    throw Pkcs11Failure("ERR_HSM_KEYGEN", "C_GenerateKeyPair",
                        "signature verification refuses the generated public key");
  }
  ref_ = ctx.pool.RegisterKey(key_.label, key_.id, key_.handle, key_.pub);
}

Napi::Value GenerateJob::Result(Napi::Env env) { return KeyToJs(env, key_, ref_); }

void PingJob::Attempt(JobContext &ctx) {
  CK_SESSION_INFO info{};
  Check(ctx.fl->C_GetSessionInfo(ctx.session, &info), "C_GetSessionInfo");
  if (info.state != CKS_RW_USER_FUNCTIONS && info.state != CKS_RO_USER_FUNCTIONS) {
    throw Pkcs11Failure(CKR_USER_NOT_LOGGED_IN, "C_GetSessionInfo", "session is not logged in");
  }
}

}  // namespace hsm
