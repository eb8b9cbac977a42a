#include "probe.h"

#include <chrono>

#include "ec_point.h"
#include "errors.h"

namespace hsm {

namespace {
// The function list declares this slot untyped (pkcs11_defs.h): its v2.40 signature.
using DestroyObject = CK_RV (*)(CK_SESSION_HANDLE, CK_OBJECT_HANDLE);
constexpr CK_RV kAttributeValueInvalid = 0x13;  // CKR_ATTRIBUTE_VALUE_INVALID
constexpr CK_RV kTemplateInconsistent = 0xD1;   // CKR_TEMPLATE_INCONSISTENT

// Destroys the probe's objects however the probe ends; errors are ignored (session objects die with the
// session in any case).
struct SessionKeyPair {
  CK_FUNCTION_LIST *fl;
  CK_SESSION_HANDLE session;
  CK_OBJECT_HANDLE pub = 0, priv = 0;
  ~SessionKeyPair() {
    auto destroy = reinterpret_cast<DestroyObject>(fl->C_DestroyObject);
    if (priv != 0) destroy(session, priv);
    if (pub != 0) destroy(session, pub);
  }
};
// The template of the probe's key pair: session objects, or token objects under kProbeLabel for tokens
// that refuse session keys (tpm2-pkcs11: CKR_ATTRIBUTE_VALUE_INVALID on CKA_TOKEN false).
bool GenerateProbeKeys(JobContext &ctx, const std::string &curve, bool on_token, SessionKeyPair &kp) {
  Bytes params = ParamsFor(curve);
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_BBOOL *token = on_token ? &yes : &no;
  std::string label = kProbeLabel;
  CK_ATTRIBUTE pub[] = {
      {CKA_TOKEN, token, 1},
      {CKA_VERIFY, &yes, 1},
      {CKA_EC_PARAMS, params.data(), params.size()},
      {CKA_LABEL, label.data(), label.size()},
  };
  CK_ATTRIBUTE priv[] = {{CKA_TOKEN, token, 1},
                         {CKA_PRIVATE, &yes, 1},
                         {CKA_SENSITIVE, &yes, 1},
                         {CKA_SIGN, &yes, 1},
                         {CKA_LABEL, label.data(), label.size()}};
  CK_MECHANISM gen{curve == "ed25519" ? CKM_EC_EDWARDS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_RV rv = ctx.fl->C_GenerateKeyPair(ctx.session, &gen, pub, sizeof pub / sizeof pub[0], priv,
                                       sizeof priv / sizeof priv[0], &kp.pub, &kp.priv);
  if (!on_token && (rv == kAttributeValueInvalid || rv == kTemplateInconsistent)) return false;
  Check(rv, "C_GenerateKeyPair");
  return true;
}

}  // namespace

void ProbeJob::Attempt(JobContext &ctx) {
  micros_.clear();
  SessionKeyPair kp{ctx.fl, ctx.session};
  on_token_ = !GenerateProbeKeys(ctx, curve_, false, kp);
  if (on_token_) GenerateProbeKeys(ctx, curve_, true, kp);
  CK_MECHANISM mech{curve_ == "ed25519" ? CKM_EDDSA : CKM_ECDSA, nullptr, 0};
  uint8_t digest[32];
  uint8_t signature[64];
  micros_.reserve(count_);
  for (uint32_t i = 0; i < count_; i++) {
    for (size_t j = 0; j < sizeof digest; j++) digest[j] = static_cast<uint8_t>(i + j + 1);
    CK_ULONG len = sizeof signature;
    auto t0 = std::chrono::steady_clock::now();
    ctx.CheckOperation(ctx.fl->C_SignInit(ctx.session, &mech, kp.priv), "C_SignInit");
    ctx.CheckOperation(ctx.fl->C_Sign(ctx.session, digest, sizeof digest, signature, &len), "C_Sign");
    micros_.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
}

Napi::Value ProbeJob::Result(Napi::Env env) {
  Napi::Array micros = Napi::Array::New(env, micros_.size());
  for (size_t i = 0; i < micros_.size(); i++) micros.Set(static_cast<uint32_t>(i), micros_[i]);
  Napi::Object o = Napi::Object::New(env);
  o.Set("micros", micros);
  o.Set("onToken", on_token_);
  return o;
}

}  // namespace hsm
