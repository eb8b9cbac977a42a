#include "digest.h"

#include <cstring>

#include "args.h"
#include "libcrypto.h"

namespace hsm {

namespace {

// OSSL_PARAM (openssl/core.h) and OSSL_PARAM_UNSIGNED_INTEGER (openssl/core.h): no OpenSSL headers here.
struct OsslParam {
  const char *key;
  unsigned int data_type;
  void *data;
  size_t data_size;
  size_t return_size;
};
constexpr unsigned int kOsslParamUnsignedInteger = 2;

// The libcrypto entry points used, with the OpenSSL 3 prototypes (openssl/evp.h; docs: EVP_DigestInit(3),
// EVP_MD_fetch(3)). Every OpenSSL type is passed through as an opaque pointer.
struct Digest {
  void *(*EVP_MD_fetch)(void *libctx, const char *algorithm, const char *properties);
  void *(*EVP_MD_CTX_new)();
  void (*EVP_MD_CTX_free)(void *ctx);
  int (*EVP_DigestInit_ex2)(void *ctx, const void *type, const OsslParam *params);
  int (*EVP_DigestUpdate)(void *ctx, const void *data, size_t size);
  int (*EVP_DigestFinal_ex)(void *ctx, unsigned char *md, unsigned int *size);
  const void *blake2b = nullptr;  // EVP_MD of BLAKE2B-512, fetched once and kept for the process
};

// Resolved once, from the process's global scope, where the node executable's own OpenSSL comes first.
const Digest &Lib() {
  static const Digest lib = [] {
    Digest d{};
    bool ok = ResolveLibcrypto(d.EVP_MD_fetch, "EVP_MD_fetch") &&
              ResolveLibcrypto(d.EVP_MD_CTX_new, "EVP_MD_CTX_new") &&
              ResolveLibcrypto(d.EVP_MD_CTX_free, "EVP_MD_CTX_free") &&
              ResolveLibcrypto(d.EVP_DigestInit_ex2, "EVP_DigestInit_ex2") &&
              ResolveLibcrypto(d.EVP_DigestUpdate, "EVP_DigestUpdate") &&
              ResolveLibcrypto(d.EVP_DigestFinal_ex, "EVP_DigestFinal_ex");
    if (ok) d.blake2b = d.EVP_MD_fetch(nullptr, "BLAKE2B-512", nullptr);
    return d;
  }();
  return lib;
}

// blake2b256(data) -> Uint8Array(32), or null when this process's OpenSSL cannot (Blake2b256).
Napi::Value JsBlake2b256(const Napi::CallbackInfo &info) {
  CheckArgs(info, "blake2b256", {Arg::Bytes});
  auto data = info[0].As<Napi::Uint8Array>();
  uint8_t digest[32];
  if (!Blake2b256(data.Data(), data.ByteLength(), digest)) return info.Env().Null();
  auto out = Napi::Uint8Array::New(info.Env(), sizeof digest);
  std::memcpy(out.Data(), digest, sizeof digest);
  return out;
}

}  // namespace

bool Blake2b256(const uint8_t *data, size_t size, uint8_t out[32]) {
  const Digest &d = Lib();
  if (d.blake2b == nullptr) return false;
  // OpenSSL 3.2 and later take the digest size as the "size" parameter of BLAKE2B-512 (EVP_MD-BLAKE2(7));
  // an earlier one ignores it and writes 64 bytes, hence the buffer's size and the length check.
  size_t digest_size = 32;
  OsslParam params[] = {{"size", kOsslParamUnsignedInteger, &digest_size, sizeof digest_size, 0},
                        {nullptr, 0, nullptr, 0, 0}};
  unsigned char md[64];
  unsigned int len = 0;
  void *ctx = d.EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  bool ok = d.EVP_DigestInit_ex2(ctx, d.blake2b, params) == 1 && d.EVP_DigestUpdate(ctx, data, size) == 1 &&
            d.EVP_DigestFinal_ex(ctx, md, &len) == 1 && len == 32;
  d.EVP_MD_CTX_free(ctx);
  if (ok) std::memcpy(out, md, 32);
  return ok;
}

void RegisterDigest(Napi::Env env, Napi::Object exports) {
  exports.Set("blake2b256", Napi::Function::New(env, JsBlake2b256));
}

}  // namespace hsm
