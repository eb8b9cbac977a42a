#include "aes.h"

#include <algorithm>

#include "objects.h"
#include "session_pool.h"

namespace hsm {

namespace {

// PKCS#11 v2.40 values (pkcs11t.h) for secret keys, AES and HMAC; the v2.40 CK_GCM_PARAMS layout (with
// ulIvBits), which SoftHSM 2.6 and the vendors we target use.
constexpr CK_ULONG CKO_SECRET_KEY = 4;
constexpr CK_ULONG CKK_GENERIC_SECRET = 0x10;
constexpr CK_ULONG CKK_AES = 0x1f;
constexpr CK_ATTRIBUTE_TYPE CKA_ENCRYPT = 0x104;
constexpr CK_ATTRIBUTE_TYPE CKA_DECRYPT = 0x105;
constexpr CK_ATTRIBUTE_TYPE CKA_VALUE_LEN = 0x161;
constexpr CK_MECHANISM_TYPE CKM_SHA256_HMAC = 0x251;
constexpr CK_MECHANISM_TYPE CKM_GENERIC_SECRET_KEY_GEN = 0x350;
constexpr CK_MECHANISM_TYPE CKM_AES_KEY_GEN = 0x1080;
constexpr CK_MECHANISM_TYPE CKM_AES_CBC_PAD = 0x1085;
constexpr CK_MECHANISM_TYPE CKM_AES_GCM = 0x1087;
constexpr CK_FLAGS CKF_ENCRYPT = 0x100, CKF_DECRYPT = 0x200, CKF_SIGN = 0x800, CKF_VERIFY = 0x2000,
                   CKF_GENERATE = 0x8000;
constexpr CK_ULONG kGcmTagBytes = 16;
constexpr CK_ULONG kCbcBlockBytes = 16;
constexpr CK_ULONG kHmacBytes = 32;

struct CK_GCM_PARAMS {
  CK_BYTE *pIv;
  CK_ULONG ulIvLen;
  CK_ULONG ulIvBits;
  CK_BYTE *pAAD;
  CK_ULONG ulAADLen;
  CK_ULONG ulTagBits;
};

// The function list declares these slots untyped (pkcs11_defs.h): give them their v2.40 signatures.
using CryptInit = CK_RV (*)(CK_SESSION_HANDLE, CK_MECHANISM *, CK_OBJECT_HANDLE);
using Crypt = CK_RV (*)(CK_SESSION_HANDLE, CK_BYTE *, CK_ULONG, CK_BYTE *, CK_ULONG *);
using Verify = CK_RV (*)(CK_SESSION_HANDLE, CK_BYTE *, CK_ULONG, CK_BYTE *, CK_ULONG);
using GenerateKey = CK_RV (*)(CK_SESSION_HANDLE, CK_MECHANISM *, CK_ATTRIBUTE *, CK_ULONG, CK_OBJECT_HANDLE *);

const char *TypeName(CK_ULONG type) { return type == CKK_AES ? "AES" : "HMAC"; }

// Secret keys of `type` labelled `label` (at most two: more than one is ambiguous).
std::vector<CK_OBJECT_HANDLE> FindSecretKeys(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, const std::string &label,
                                             CK_ULONG type) {
  CK_ULONG cls = CKO_SECRET_KEY;
  return FindObjects(fl, s,
                     {{CKA_CLASS, &cls, sizeof cls},
                      {CKA_KEY_TYPE, &type, sizeof type},
                      {CKA_LABEL, const_cast<char *>(label.data()), label.size()}},
                     2);
}

CK_OBJECT_HANDLE FindSecretKey(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, const std::string &label, CK_ULONG type) {
  auto keys = FindSecretKeys(fl, s, label, type);
  std::string what = std::string(TypeName(type)) + " key labelled \"" + label + "\"";
  if (keys.empty()) throw Pkcs11Failure("ERR_HSM_KEY_NOT_FOUND", "C_FindObjects", "no " + what + " on the token");
  if (keys.size() > 1) throw Pkcs11Failure("ERR_HSM_KEY_AMBIGUOUS", "C_FindObjects", "several " + what);
  return keys[0];
}

void GenerateSecret(JobContext &ctx, const std::string &label, CK_ULONG type) {
  CK_ULONG cls = CKO_SECRET_KEY, len = 32;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  bool aes = type == CKK_AES;
  CK_ATTRIBUTE tmpl[] = {
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_VALUE_LEN, &len, sizeof len},
      {CKA_TOKEN, &yes, 1},
      {CKA_PRIVATE, &yes, 1},
      {CKA_SENSITIVE, &yes, 1},
      {CKA_EXTRACTABLE, &no, 1},
      {aes ? CKA_ENCRYPT : CKA_SIGN, &yes, 1},
      {aes ? CKA_DECRYPT : CKA_VERIFY, &yes, 1},
      {CKA_LABEL, const_cast<char *>(label.data()), label.size()},
  };
  CK_MECHANISM mech{aes ? CKM_AES_KEY_GEN : CKM_GENERIC_SECRET_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE h = 0;
  auto gen = reinterpret_cast<GenerateKey>(ctx.fl->C_GenerateKey);
  Check(gen(ctx.session, &mech, tmpl, sizeof tmpl / sizeof tmpl[0], &h), "C_GenerateKey");
}

bool Offers(CK_FUNCTION_LIST *fl, CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_FLAGS flags) {
  CK_MECHANISM_INFO info{};
  CK_RV rv = fl->C_GetMechanismInfo(slot, type, &info);
  if (rv == CKR_MECHANISM_INVALID) return false;
  Check(rv, "C_GetMechanismInfo");
  return (info.flags & flags) == flags;
}

// What the HMAC covers: u32be(|aad|) ‖ aad ‖ iv ‖ ciphertext (the length prefix keeps aad and iv apart).
Bytes MacInput(const Bytes &aad, const Bytes &iv, const uint8_t *ct, size_t ct_len) {
  Bytes m;
  m.reserve(4 + aad.size() + iv.size() + ct_len);
  for (int shift = 24; shift >= 0; shift -= 8) m.push_back(static_cast<uint8_t>(aad.size() >> shift));
  m.insert(m.end(), aad.begin(), aad.end());
  m.insert(m.end(), iv.begin(), iv.end());
  m.insert(m.end(), ct, ct + ct_len);
  return m;
}

}  // namespace

void AesGenerateJob::Attempt(JobContext &ctx) {
  bool made = false;
  for (CK_ULONG type : {CKK_AES, CKK_GENERIC_SECRET}) {
    if (type == CKK_GENERIC_SECRET && mode_ != AesMode::CbcHmac) continue;
    if (!FindSecretKeys(ctx.fl, ctx.session, label_, type).empty()) continue;
    GenerateSecret(ctx, label_, type);
    made = true;
  }
  if (!made) {
    throw Pkcs11Failure("ERR_HSM_KEY_EXISTS", "C_GenerateKey", "a secret key labelled \"" + label_ + "\" exists");
  }
}

void AesModesJob::Attempt(JobContext &ctx) {
  CK_SLOT_ID slot = ctx.pool.slot();
  missing_.clear();
  // Every mechanism is asked (no short-circuit) so that a refusal can name all that are missing.
  auto offers = [&](CK_MECHANISM_TYPE type, CK_FLAGS flags, const char *name) {
    bool ok = Offers(ctx.fl, slot, type, flags);
    if (!ok) missing_.emplace_back(name);
    return ok;
  };
  bool keygen = offers(CKM_AES_KEY_GEN, CKF_GENERATE, "CKM_AES_KEY_GEN");
  bool gcm = offers(CKM_AES_GCM, CKF_ENCRYPT | CKF_DECRYPT, "CKM_AES_GCM");
  bool cbc = offers(CKM_AES_CBC_PAD, CKF_ENCRYPT | CKF_DECRYPT, "CKM_AES_CBC_PAD");
  bool hmac = offers(CKM_SHA256_HMAC, CKF_SIGN | CKF_VERIFY, "CKM_SHA256_HMAC");
  bool secret = offers(CKM_GENERIC_SECRET_KEY_GEN, CKF_GENERATE, "CKM_GENERIC_SECRET_KEY_GEN");
  gcm_ = keygen && gcm;
  cbc_hmac_ = keygen && cbc && hmac && secret;
}

Napi::Value AesModesJob::Result(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("gcm", gcm_);
  o.Set("cbcHmac", cbc_hmac_);
  Napi::Array missing = Napi::Array::New(env, missing_.size());
  for (size_t i = 0; i < missing_.size(); i++) missing.Set(static_cast<uint32_t>(i), missing_[i]);
  o.Set("missing", missing);
  return o;
}

AesCryptJob::AesCryptJob(Napi::Env env, AesMode mode, bool encrypt, std::string label, Bytes iv, Bytes aad, Bytes input)
    : PromiseJob(env),
      mode_(mode),
      encrypt_(encrypt),
      label_(std::move(label)),
      iv_(std::move(iv)),
      aad_(std::move(aad)),
      input_(std::move(input)) {}

AesCryptJob::~AesCryptJob() {
  std::fill(input_.begin(), input_.end(), 0);
  std::fill(output_.begin(), output_.end(), 0);
}

void AesCryptJob::Attempt(JobContext &ctx) {
  if (mode_ == AesMode::Gcm) {
    Gcm(ctx);
  } else {
    CbcHmac(ctx);
  }
}

void AesCryptJob::Gcm(JobContext &ctx) {
  CK_OBJECT_HANDLE key = FindSecretKey(ctx.fl, ctx.session, label_, CKK_AES);
  CK_GCM_PARAMS params{iv_.data(), iv_.size(), iv_.size() * 8, aad_.data(), aad_.size(), kGcmTagBytes * 8};
  CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof params};
  auto init = reinterpret_cast<CryptInit>(encrypt_ ? ctx.fl->C_EncryptInit : ctx.fl->C_DecryptInit);
  auto run = reinterpret_cast<Crypt>(encrypt_ ? ctx.fl->C_Encrypt : ctx.fl->C_Decrypt);
  const char *init_name = encrypt_ ? "C_EncryptInit" : "C_DecryptInit";
  const char *run_name = encrypt_ ? "C_Encrypt" : "C_Decrypt";
  Check(init(ctx.session, &mech, key), init_name);
  // Pre-sized (GCM adds or strips exactly the tag): no length query round trip.
  output_.assign(encrypt_ ? input_.size() + kGcmTagBytes : input_.size(), 0);
  CK_ULONG out_len = output_.size();
  CK_RV rv = run(ctx.session, input_.data(), input_.size(), output_.data(), &out_len);
  ctx.CheckOperation(rv, run_name);
  output_.resize(out_len);
  // params.pIv points into iv_: AWS CloudHSM ignores the caller's IV on encryption and writes the one it
  // generated there (AWS CloudHSM PKCS#11 docs, CKM_AES_GCM; miekg/pkcs11 PR #72). Result() hands iv_
  // back after C_Encrypt, so the caller stores the IV that was used, not the one it asked for.
}

void AesCryptJob::CbcHmac(JobContext &ctx) {
  CK_OBJECT_HANDLE key = FindSecretKey(ctx.fl, ctx.session, label_, CKK_AES);
  CK_OBJECT_HANDLE mac = FindSecretKey(ctx.fl, ctx.session, label_, CKK_GENERIC_SECRET);
  CK_MECHANISM cbc{CKM_AES_CBC_PAD, iv_.data(), iv_.size()};
  CK_MECHANISM hmac{CKM_SHA256_HMAC, nullptr, 0};
  if (encrypt_) {
    output_.assign(input_.size() + kCbcBlockBytes + kHmacBytes, 0);  // padding adds 1 to 16 bytes
    CK_ULONG ct_len = input_.size() + kCbcBlockBytes;
    Check(reinterpret_cast<CryptInit>(ctx.fl->C_EncryptInit)(ctx.session, &cbc, key), "C_EncryptInit");
    ctx.CheckOperation(
        reinterpret_cast<Crypt>(ctx.fl->C_Encrypt)(ctx.session, input_.data(), input_.size(), output_.data(), &ct_len),
        "C_Encrypt");
    Bytes m = MacInput(aad_, iv_, output_.data(), ct_len);
    CK_ULONG tag_len = kHmacBytes;
    Check(ctx.fl->C_SignInit(ctx.session, &hmac, mac), "C_SignInit");
    ctx.CheckOperation(ctx.fl->C_Sign(ctx.session, m.data(), m.size(), output_.data() + ct_len, &tag_len), "C_Sign");
    output_.resize(ct_len + tag_len);
    return;
  }
  // Encrypt-then-MAC: nothing is decrypted before the tag over everything public checks out.
  size_t ct_len = input_.size() - kHmacBytes;  // aes-args.ts: at least one block and the tag
  Bytes m = MacInput(aad_, iv_, input_.data(), ct_len);
  Check(reinterpret_cast<CryptInit>(ctx.fl->C_VerifyInit)(ctx.session, &hmac, mac), "C_VerifyInit");
  ctx.CheckOperation(
      reinterpret_cast<Verify>(ctx.fl->C_Verify)(ctx.session, m.data(), m.size(), input_.data() + ct_len, kHmacBytes),
      "C_Verify");
  output_.assign(ct_len, 0);
  CK_ULONG out_len = ct_len;
  Check(reinterpret_cast<CryptInit>(ctx.fl->C_DecryptInit)(ctx.session, &cbc, key), "C_DecryptInit");
  ctx.CheckOperation(
      reinterpret_cast<Crypt>(ctx.fl->C_Decrypt)(ctx.session, input_.data(), ct_len, output_.data(), &out_len),
      "C_Decrypt");
  output_.resize(out_len);
}

Napi::Value AesCryptJob::Result(Napi::Env env) {
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::Copy(env, output_.data(), output_.size());
  if (!encrypt_) return out;
  Napi::Object o = Napi::Object::New(env);
  o.Set("iv", Napi::Buffer<uint8_t>::Copy(env, iv_.data(), iv_.size()));
  o.Set("sealed", out);
  return o;
}

}  // namespace hsm
