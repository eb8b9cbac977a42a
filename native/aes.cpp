#include "aes.h"

#include <algorithm>

namespace hsm {

namespace {

// PKCS#11 v2.40 values (pkcs11t.h) for secret keys and AES; the v2.40 CK_GCM_PARAMS layout (with
// ulIvBits), which SoftHSM 2.6 and the vendors we target use.
constexpr CK_ULONG CKO_SECRET_KEY = 4;
constexpr CK_ULONG CKK_AES = 0x1f;
constexpr CK_ATTRIBUTE_TYPE CKA_ENCRYPT = 0x104;
constexpr CK_ATTRIBUTE_TYPE CKA_DECRYPT = 0x105;
constexpr CK_ATTRIBUTE_TYPE CKA_VALUE_LEN = 0x161;
constexpr CK_MECHANISM_TYPE CKM_AES_KEY_GEN = 0x1080;
constexpr CK_MECHANISM_TYPE CKM_AES_GCM = 0x1087;
constexpr CK_ULONG kTagBytes = 16;

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
using GenerateKey = CK_RV (*)(CK_SESSION_HANDLE, CK_MECHANISM *, CK_ATTRIBUTE *, CK_ULONG, CK_OBJECT_HANDLE *);

// Secret keys labelled `label` (at most two: more than one is ambiguous).
std::vector<CK_OBJECT_HANDLE> FindAesKeys(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, const std::string &label) {
  CK_ULONG cls = CKO_SECRET_KEY;
  std::string l = label;
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, l.data(), l.size()}};
  Check(fl->C_FindObjectsInit(s, tmpl, 2), "C_FindObjectsInit");
  CK_OBJECT_HANDLE found[2];
  CK_ULONG n = 0;
  CK_RV rv = fl->C_FindObjects(s, found, 2, &n);
  fl->C_FindObjectsFinal(s);  // always end the search, or the session stays busy
  Check(rv, "C_FindObjects");
  return std::vector<CK_OBJECT_HANDLE>(found, found + n);
}

CK_OBJECT_HANDLE FindAesKey(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, const std::string &label) {
  auto keys = FindAesKeys(fl, s, label);
  if (keys.empty())
    throw Pkcs11Failure("ERR_HSM_KEY_NOT_FOUND", "C_FindObjects", "no AES key labelled \"" + label + "\" on the token");
  if (keys.size() > 1)
    throw Pkcs11Failure("ERR_HSM_KEY_AMBIGUOUS", "C_FindObjects", "several secret keys labelled \"" + label + "\"");
  return keys[0];
}

}  // namespace

void AesGenerateJob::Attempt(JobContext &ctx) {
  if (!FindAesKeys(ctx.fl, ctx.session, label_).empty()) {
    throw Pkcs11Failure("ERR_HSM_KEY_EXISTS", "C_GenerateKey", "a secret key labelled \"" + label_ + "\" exists");
  }
  CK_ULONG cls = CKO_SECRET_KEY, type = CKK_AES, len = 32;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ATTRIBUTE tmpl[] = {
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_VALUE_LEN, &len, sizeof len},
      {CKA_TOKEN, &yes, 1},
      {CKA_PRIVATE, &yes, 1},
      {CKA_SENSITIVE, &yes, 1},
      {CKA_EXTRACTABLE, &no, 1},
      {CKA_ENCRYPT, &yes, 1},
      {CKA_DECRYPT, &yes, 1},
      {CKA_LABEL, label_.data(), label_.size()},
  };
  CK_MECHANISM mech{CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE h = 0;
  auto gen = reinterpret_cast<GenerateKey>(ctx.fl->C_GenerateKey);
  Check(gen(ctx.session, &mech, tmpl, sizeof tmpl / sizeof tmpl[0], &h), "C_GenerateKey");
}

AesCryptJob::AesCryptJob(Napi::Env env, bool encrypt, std::string label, Bytes iv, Bytes aad, Bytes input)
    : PromiseJob(env),
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
  CK_OBJECT_HANDLE key = FindAesKey(ctx.fl, ctx.session, label_);
  CK_GCM_PARAMS params{iv_.data(), iv_.size(), iv_.size() * 8, aad_.data(), aad_.size(), kTagBytes * 8};
  CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof params};
  auto init = reinterpret_cast<CryptInit>(encrypt_ ? ctx.fl->C_EncryptInit : ctx.fl->C_DecryptInit);
  auto run = reinterpret_cast<Crypt>(encrypt_ ? ctx.fl->C_Encrypt : ctx.fl->C_Decrypt);
  const char *init_name = encrypt_ ? "C_EncryptInit" : "C_DecryptInit";
  const char *run_name = encrypt_ ? "C_Encrypt" : "C_Decrypt";
  Check(init(ctx.session, &mech, key), init_name);
  // Pre-sized (GCM adds or strips exactly the tag): no length query round trip.
  output_.assign(encrypt_ ? input_.size() + kTagBytes : input_.size(), 0);
  CK_ULONG out_len = output_.size();
  CK_RV rv = run(ctx.session, input_.data(), input_.size(), output_.data(), &out_len);
  // As for C_Sign: do not trust the session's state after a failed single-part operation.
  if (rv != CKR_OK) ctx.recycle_session = true;
  Check(rv, run_name);
  output_.resize(out_len);
}

Napi::Value AesCryptJob::Result(Napi::Env env) {
  return Napi::Buffer<uint8_t>::Copy(env, output_.data(), output_.size());
}

}  // namespace hsm
