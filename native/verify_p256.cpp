#include "verify_p256.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "libcrypto.h"

namespace hsm {

namespace {

// The libcrypto entry points the tables use, with the OpenSSL 3 prototypes (openssl/ec.h, openssl/bn.h;
// docs: EC_GROUP_copy(3), EC_GROUP_new(3), EC_POINT_new(3), EC_POINT_add(3), BN_CTX_start(3), BN_add(3),
// BN_bn2bin(3)). OpenSSL types are opaque pointers; BN_ULONG is unsigned long on every target built.
struct Crypto {
  void *(*EC_GROUP_new_by_curve_name)(int nid);
  void *(*EC_GROUP_dup)(const void *group);
  void (*EC_GROUP_free)(void *group);
  int (*EC_GROUP_set_generator)(void *group, const void *generator, const void *order, const void *cofactor);
  int (*EC_GROUP_precompute_mult)(void *group, void *ctx);
  const void *(*EC_GROUP_get0_order)(const void *group);
  void *(*EC_POINT_new)(const void *group);
  void (*EC_POINT_free)(void *point);
  int (*EC_POINT_oct2point)(const void *group, void *p, const unsigned char *buf, size_t len, void *ctx);
  int (*EC_POINT_mul)(const void *group, void *r, const void *n, const void *q, const void *m, void *ctx);
  int (*EC_POINT_add)(const void *group, void *r, const void *a, const void *b, void *ctx);
  int (*EC_POINT_is_at_infinity)(const void *group, const void *p);
  int (*EC_POINT_get_affine_coordinates)(const void *group, const void *p, void *x, void *y, void *ctx);
  // Deprecated since OpenSSL 3.0, so optional: without it, x(R) is compared in affine form.
  int (*EC_POINT_get_Jprojective_coordinates_GFp)(const void *group, const void *p, void *x, void *y, void *z,
                                                  void *ctx);
  const void *(*EC_GROUP_get0_field)(const void *group);
  void *(*BN_CTX_new)();
  void (*BN_CTX_free)(void *ctx);
  void (*BN_CTX_start)(void *ctx);
  void *(*BN_CTX_get)(void *ctx);
  void (*BN_CTX_end)(void *ctx);
  void *(*BN_new)();
  void (*BN_free)(void *a);
  void *(*BN_bin2bn)(const unsigned char *s, int len, void *ret);
  int (*BN_bn2binpad)(const void *a, unsigned char *to, int tolen);
  int (*BN_set_word)(void *a, unsigned long w);
  int (*BN_cmp)(const void *a, const void *b);
  int (*BN_is_one)(const void *a);
  int (*BN_mod_mul)(void *r, const void *a, const void *b, const void *m, void *ctx);
  int (*BN_nnmod)(void *r, const void *a, const void *m, void *ctx);
  int (*BN_mod_sqr)(void *r, const void *a, const void *m, void *ctx);
  int (*BN_add)(void *r, const void *a, const void *b);
  void (*ERR_clear_error)();
  bool ok = false;
};

const Crypto &Lib() {
  static const Crypto lib = [] {
    Crypto c{};
    c.ok = ResolveLibcrypto(c.EC_GROUP_new_by_curve_name, "EC_GROUP_new_by_curve_name") &&
           ResolveLibcrypto(c.EC_GROUP_dup, "EC_GROUP_dup") && ResolveLibcrypto(c.EC_GROUP_free, "EC_GROUP_free") &&
           ResolveLibcrypto(c.EC_GROUP_set_generator, "EC_GROUP_set_generator") &&
           ResolveLibcrypto(c.EC_GROUP_precompute_mult, "EC_GROUP_precompute_mult") &&
           ResolveLibcrypto(c.EC_GROUP_get0_order, "EC_GROUP_get0_order") &&
           ResolveLibcrypto(c.EC_POINT_new, "EC_POINT_new") && ResolveLibcrypto(c.EC_POINT_free, "EC_POINT_free") &&
           ResolveLibcrypto(c.EC_POINT_oct2point, "EC_POINT_oct2point") &&
           ResolveLibcrypto(c.EC_POINT_mul, "EC_POINT_mul") && ResolveLibcrypto(c.EC_POINT_add, "EC_POINT_add") &&
           ResolveLibcrypto(c.EC_POINT_is_at_infinity, "EC_POINT_is_at_infinity") &&
           ResolveLibcrypto(c.EC_POINT_get_affine_coordinates, "EC_POINT_get_affine_coordinates") &&
           ResolveLibcrypto(c.BN_CTX_new, "BN_CTX_new") && ResolveLibcrypto(c.BN_CTX_free, "BN_CTX_free") &&
           ResolveLibcrypto(c.BN_CTX_start, "BN_CTX_start") && ResolveLibcrypto(c.BN_CTX_get, "BN_CTX_get") &&
           ResolveLibcrypto(c.BN_CTX_end, "BN_CTX_end") && ResolveLibcrypto(c.BN_new, "BN_new") &&
           ResolveLibcrypto(c.BN_free, "BN_free") && ResolveLibcrypto(c.BN_bin2bn, "BN_bin2bn") &&
           ResolveLibcrypto(c.BN_bn2binpad, "BN_bn2binpad") && ResolveLibcrypto(c.BN_set_word, "BN_set_word") &&
           ResolveLibcrypto(c.BN_cmp, "BN_cmp") && ResolveLibcrypto(c.BN_is_one, "BN_is_one") &&
           ResolveLibcrypto(c.BN_mod_mul, "BN_mod_mul") && ResolveLibcrypto(c.BN_nnmod, "BN_nnmod") &&
           ResolveLibcrypto(c.ERR_clear_error, "ERR_clear_error");
    if (!(ResolveLibcrypto(c.EC_POINT_get_Jprojective_coordinates_GFp, "EC_POINT_get_Jprojective_coordinates_GFp") &&
          ResolveLibcrypto(c.EC_GROUP_get0_field, "EC_GROUP_get0_field") &&
          ResolveLibcrypto(c.BN_mod_sqr, "BN_mod_sqr") && ResolveLibcrypto(c.BN_add, "BN_add"))) {
      c.EC_POINT_get_Jprojective_coordinates_GFp = nullptr;
    }
    return c;
  }();
  return lib;
}

constexpr int kNidP256 = 415;  // NID_X9_62_prime256v1 (openssl/obj_mac.h)

// 256-bit numbers as four 64-bit limbs, least significant first.
using Limbs = uint64_t[4];

void FromBigEndian(Limbs out, const uint8_t *be) {
  for (int i = 0; i < 4; i++) {
    uint64_t w = 0;
    for (int j = 0; j < 8; j++) w = (w << 8) | be[(3 - i) * 8 + j];
    out[i] = w;
  }
}

void ToBigEndian(uint8_t *be, const Limbs in) {
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 8; j++) be[(3 - i) * 8 + j] = static_cast<uint8_t>(in[i] >> (56 - 8 * j));
}

bool IsOne(const Limbs a) { return a[0] == 1 && (a[1] | a[2] | a[3]) == 0; }

bool AtLeast(const Limbs a, const Limbs b) {
  for (int i = 3; i >= 0; i--)
    if (a[i] != b[i]) return a[i] > b[i];
  return true;
}

uint64_t Sub(Limbs r, const Limbs a, const Limbs b) {  // r = a − b, returns the borrow
  uint64_t borrow = 0;
  for (int i = 0; i < 4; i++) {
    unsigned __int128 t = static_cast<unsigned __int128>(a[i]) - b[i] - borrow;
    r[i] = static_cast<uint64_t>(t);
    borrow = static_cast<uint64_t>(t >> 64) & 1;
  }
  return borrow;
}

uint64_t Add(Limbs r, const Limbs a, const Limbs b) {  // r = a + b, returns the carry
  unsigned __int128 carry = 0;
  for (int i = 0; i < 4; i++) {
    carry += static_cast<unsigned __int128>(a[i]) + b[i];
    r[i] = static_cast<uint64_t>(carry);
    carry >>= 64;
  }
  return static_cast<uint64_t>(carry);
}

void ShiftRight(Limbs x, int k) {  // x >>= k, 1 ≤ k ≤ 63
  for (int i = 0; i < 3; i++) x[i] = (x[i] >> k) | (x[i + 1] << (64 - k));
  x[3] >>= k;
}

// −m⁻¹ mod 2^64 for an odd m (Newton's iteration, each step doubling the correct low bits).
uint64_t NegInverse64(const Limbs m) {
  uint64_t inv = m[0];  // correct modulo 2^3 for any odd m
  for (int i = 0; i < 5; i++) inv *= 2 - m[0] * inv;
  return 0 - inv;
}

// x = x / 2^k mod m for x < m, 1 ≤ k ≤ 63: adds the multiple q·m (q < 2^k) that clears x's low k bits,
// then shifts, as a Montgomery reduction does; the result stays below m.
void DivPow2Mod(Limbs x, int k, const Limbs m, uint64_t neg_inv) {
  uint64_t q = (x[0] * neg_inv) & ((uint64_t{1} << k) - 1);
  uint64_t t[5];
  unsigned __int128 acc = 0;
  for (int i = 0; i < 4; i++) {
    acc += static_cast<unsigned __int128>(q) * m[i] + x[i];
    t[i] = static_cast<uint64_t>(acc);
    acc >>= 64;
  }
  t[4] = static_cast<uint64_t>(acc);
  for (int i = 0; i < 4; i++) x[i] = (t[i] >> k) | (t[i + 1] << (64 - k));
}

// Divides u by its largest power of two (up to 2^63 per step) and x by the same modulo m.
void StripTwos(Limbs u, Limbs x, const Limbs m, uint64_t neg_inv) {
  if ((u[0] | u[1] | u[2] | u[3]) == 0) return;  // only when gcd(a, m) > 1, never for a prime m
  while ((u[0] & 1) == 0) {
    int k = u[0] == 0 ? 63 : __builtin_ctzll(u[0]);
    ShiftRight(u, k);
    DivPow2Mod(x, k, m, neg_inv);
  }
}

// a⁻¹ mod m for a in [1, m−1], m odd: binary inversion (Hankerson, Menezes, Vanstone, "Guide to Elliptic
// Curve Cryptography", Algorithm 2.22), the halvings of x1 and x2 done a word at a time. Variable time,
// which is fine for a signature's public s; OpenSSL's public BN_mod_inverse is several times slower here.
// The caller checks the result (w·s ≡ 1) with OpenSSL.
void InverseMod(Limbs out, const Limbs a, const Limbs m) {
  uint64_t neg_inv = NegInverse64(m);
  Limbs u, v, x1 = {1, 0, 0, 0}, x2 = {0, 0, 0, 0};
  std::memcpy(u, a, sizeof u);
  std::memcpy(v, m, sizeof v);
  while (!IsOne(u) && !IsOne(v) && (u[0] | u[1] | u[2] | u[3]) != 0 && (v[0] | v[1] | v[2] | v[3]) != 0) {
    StripTwos(u, x1, m, neg_inv);
    StripTwos(v, x2, m, neg_inv);
    if (AtLeast(u, v)) {
      Sub(u, u, v);
      if (Sub(x1, x1, x2)) Add(x1, x1, m);
    } else {
      Sub(v, v, u);
      if (Sub(x2, x2, x1)) Add(x2, x2, m);
    }
  }
  std::memcpy(out, IsOne(u) ? x1 : x2, sizeof x1);
}

}  // namespace

// The groups of one public point Q.
class P256Table {
 public:
  enum class Result { Valid, Invalid, Error };

  // Null on any failure (allocation, a point not on the curve, OpenSSL refusing the generator).
  static std::unique_ptr<P256Table> Build(const Bytes &point);
  ~P256Table();
  P256Table(const P256Table &) = delete;
  P256Table &operator=(const P256Table &) = delete;

  // ECDSA verification (SEC 1 v2 §4.1.4; FIPS 186-5 §6.4.2) of raw r||s over a 32-byte digest. Error:
  // OpenSSL failed on the way, and the caller checks with EVP_PKEY_verify instead.
  Result Verify(const uint8_t *digest, const uint8_t *signature) const;

 private:
  P256Table() = default;
  // Whether x(`point`) mod n = `r`, from its Jacobian coordinates.
  Result SameX(const void *point, const void *r, void *ctx) const;
  void *g_ = nullptr;      // EC_GROUP: P-256 as named, with OpenSSL's built-in multiples of G
  void *gq_ = nullptr;     // EC_GROUP: a copy whose generator is Q, with Q's precomputed multiples
  void *order_ = nullptr;  // BIGNUM n, a plain copy (the group's own carries BN_FLG_CONSTTIME)
  Limbs n_ = {};
};

std::unique_ptr<P256Table> P256Table::Build(const Bytes &point) {
  const Crypto &c = Lib();
  std::unique_ptr<P256Table> t(new P256Table());
  void *ctx = c.BN_CTX_new();
  void *q = nullptr;
  void *one = c.BN_new();
  bool ok = ctx != nullptr && one != nullptr && c.BN_set_word(one, 1) == 1 &&
            (t->g_ = c.EC_GROUP_new_by_curve_name(kNidP256)) != nullptr &&
            (t->gq_ = c.EC_GROUP_dup(t->g_)) != nullptr && (q = c.EC_POINT_new(t->gq_)) != nullptr &&
            // Decodes the compressed point and checks it is on the curve (EC_POINT_oct2point(3)).
            c.EC_POINT_oct2point(t->gq_, q, point.data(), point.size(), ctx) == 1 &&
            // Q has the group's prime order n (a point on P-256 other than infinity; cofactor 1), so
            // (Q, n, 1) is a valid generator. Setting it drops the group's built-in table; the next call
            // builds Q's (ecp_nistz256.c: ecp_nistz256_mult_precompute, 37 rows of 64 affine multiples,
            // used by ecp_nistz256_points_mul once it finds the table's first point equal to the
            // generator; other EC methods keep their own precomputation, as correct but slower).
            c.EC_GROUP_set_generator(t->gq_, q, c.EC_GROUP_get0_order(t->g_), one) == 1 &&
            c.EC_GROUP_precompute_mult(t->gq_, ctx) == 1;
  if (ok) {
    uint8_t n[32];
    ok = c.BN_bn2binpad(c.EC_GROUP_get0_order(t->g_), n, 32) == 32 &&
         (t->order_ = c.BN_bin2bn(n, 32, nullptr)) != nullptr;
    if (ok) FromBigEndian(t->n_, n);
  }
  c.EC_POINT_free(q);
  c.BN_free(one);
  c.BN_CTX_free(ctx);
  c.ERR_clear_error();
  return ok ? std::move(t) : nullptr;
}

P256Table::Result P256Table::SameX(const void *point, const void *r, void *ctx) const {
  const Crypto &c = Lib();
  // x(R) < p and n < p, so x(R) mod n = r exactly when x(R) = r, or x(R) = r + n where r + n < p. In
  // Jacobian coordinates x(R) = X/Z² (Z ≠ 0 off infinity): compare X with r·Z² and (r + n)·Z², which
  // spares the field inversion of an affine conversion (libsecp256k1 compares the same way:
  // secp256k1_ecdsa_sig_verify, secp256k1_gej_eq_x_var).
  const void *p = c.EC_GROUP_get0_field(g_);
  c.BN_CTX_start(ctx);
  void *x = c.BN_CTX_get(ctx);
  void *z = c.BN_CTX_get(ctx);
  void *z2 = c.BN_CTX_get(ctx);
  void *t = c.BN_CTX_get(ctx);
  Result result = Result::Error;
  if (t != nullptr && p != nullptr && c.EC_POINT_get_Jprojective_coordinates_GFp(g_, point, x, nullptr, z, ctx) == 1 &&
      c.BN_mod_sqr(z2, z, p, ctx) == 1 && c.BN_mod_mul(t, r, z2, p, ctx) == 1) {
    if (c.BN_cmp(t, x) == 0) {
      result = Result::Valid;
    } else if (c.BN_add(t, r, order_) == 1) {
      result = Result::Invalid;
      if (c.BN_cmp(t, p) < 0) {
        result = c.BN_mod_mul(t, t, z2, p, ctx) != 1 ? Result::Error
                 : c.BN_cmp(t, x) == 0               ? Result::Valid
                                                     : Result::Invalid;
      }
    }
  }
  c.BN_CTX_end(ctx);
  return result;
}

P256Table::~P256Table() {
  const Crypto &c = Lib();
  c.BN_free(order_);
  c.EC_GROUP_free(gq_);
  c.EC_GROUP_free(g_);
}

P256Table::Result P256Table::Verify(const uint8_t *digest, const uint8_t *signature) const {
  const Crypto &c = Lib();
  // r and s in [1, n − 1], else the signature is invalid (SEC 1 v2 §4.1.4 step 1). Checked on the limbs,
  // before any OpenSSL work.
  Limbs r, s;
  FromBigEndian(r, signature);
  FromBigEndian(s, signature + 32);
  if ((r[0] | r[1] | r[2] | r[3]) == 0 || (s[0] | s[1] | s[2] | s[3]) == 0 || AtLeast(r, n_) || AtLeast(s, n_)) {
    return Result::Invalid;
  }
  Limbs w;
  InverseMod(w, s, n_);
  uint8_t w_bytes[32];
  ToBigEndian(w_bytes, w);

  void *ctx = c.BN_CTX_new();
  if (ctx == nullptr) return Result::Error;
  c.BN_CTX_start(ctx);
  void *bn_r = c.BN_CTX_get(ctx);
  void *bn_s = c.BN_CTX_get(ctx);
  void *bn_e = c.BN_CTX_get(ctx);
  void *bn_w = c.BN_CTX_get(ctx);
  void *u1 = c.BN_CTX_get(ctx);
  void *u2 = c.BN_CTX_get(ctx);
  void *x = c.BN_CTX_get(ctx);
  void *a = c.EC_POINT_new(g_);
  void *b = c.EC_POINT_new(gq_);
  Result result = Result::Error;
  // e: P-256's digest is as long as n, so the whole digest, no truncation (step 5); u1 = e·w and u2 = r·w
  // mod n (steps 4, 6). w is checked against s first: an arithmetic slip must not reach a verdict.
  if (x != nullptr && a != nullptr && b != nullptr && c.BN_bin2bn(signature, 32, bn_r) != nullptr &&
      c.BN_bin2bn(signature + 32, 32, bn_s) != nullptr && c.BN_bin2bn(digest, 32, bn_e) != nullptr &&
      c.BN_bin2bn(w_bytes, 32, bn_w) != nullptr && c.BN_mod_mul(u1, bn_w, bn_s, order_, ctx) == 1 &&
      c.BN_is_one(u1) == 1 && c.BN_mod_mul(u1, bn_e, bn_w, order_, ctx) == 1 &&
      c.BN_mod_mul(u2, bn_r, bn_w, order_, ctx) == 1 &&
      // R = u1·G + u2·Q (step 7): both fixed-base. The points of the two groups may be added: same EC
      // method and curve (EC_POINT_add(3); ec_lib.c ec_point_is_compat).
      c.EC_POINT_mul(g_, a, u1, nullptr, nullptr, ctx) == 1 && c.EC_POINT_mul(gq_, b, u2, nullptr, nullptr, ctx) == 1 &&
      c.EC_POINT_add(g_, a, a, b, ctx) == 1) {
    // R at infinity: invalid (step 7). Else valid iff x(R) mod n = r (steps 8, 9).
    if (c.EC_POINT_is_at_infinity(g_, a) == 1) {
      result = Result::Invalid;
    } else if (c.EC_POINT_get_Jprojective_coordinates_GFp != nullptr) {
      result = SameX(a, bn_r, ctx);
    } else if (c.EC_POINT_get_affine_coordinates(g_, a, x, nullptr, ctx) == 1 && c.BN_nnmod(x, x, order_, ctx) == 1) {
      result = c.BN_cmp(x, bn_r) == 0 ? Result::Valid : Result::Invalid;
    }
  }
  c.EC_POINT_free(b);
  c.EC_POINT_free(a);
  c.BN_CTX_end(ctx);
  c.BN_CTX_free(ctx);
  if (result == Result::Error) c.ERR_clear_error();
  return result;
}

P256Tables::Slot::~Slot() { delete table.load(std::memory_order_acquire); }

std::shared_ptr<P256Tables::Slot> P256Tables::SlotFor(const Bytes &point) {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<Slot> &slot = slots_[point];
  if (slot == nullptr) slot = std::make_shared<Slot>(point);
  return slot;
}

void P256Tables::Want(const std::shared_ptr<Slot> &slot) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || reserved_ >= budget_) return;
    wanted_.push_back(slot);
    if (!builder_.joinable()) builder_ = std::thread([this] { BuilderLoop(); });
  }
  wanted_cv_.notify_one();
}

void P256Tables::Stop() {
  std::thread builder;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    wanted_.clear();
    builder.swap(builder_);
  }
  wanted_cv_.notify_all();
  if (builder.joinable()) builder.join();
}

void P256Tables::BuilderLoop() {
  // A lower priority for this thread alone (setpriority(2): on Linux the nice value is per thread), so a
  // build mostly takes CPU the workers and the JS thread leave, without starving under steady load.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wanted_cv_.wait(lock, [&] { return stopping_ || !wanted_.empty(); });
    if (stopping_) return;
    std::shared_ptr<Slot> slot = std::move(wanted_.front());
    wanted_.pop_front();
    if (reserved_ >= budget_) {
      wanted_.clear();  // spent: these keys stay on EVP_PKEY_verify
      continue;
    }
    reserved_++;
    lock.unlock();
    Build(*slot);
    lock.lock();
  }
}

bool P256Tables::Build(Slot &slot) {
  std::unique_ptr<P256Table> t = P256Table::Build(slot.point);
  if (t == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    reserved_--;  // gives the claimed place back; the key keeps OpenSSL
    return false;
  }
  slot.table.store(t.release(), std::memory_order_release);
  ready_.fetch_add(1, std::memory_order_release);
  return true;
}

bool P256Tables::BuildNow(const Bytes &point) {
  std::shared_ptr<Slot> slot = SlotFor(point);
  if (slot->table.load(std::memory_order_acquire) != nullptr) return true;
  if (slot->wanted.exchange(true)) return false;  // someone else builds it
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || reserved_ >= budget_) return false;
    reserved_++;
  }
  return Build(*slot);
}

namespace {

class P256Key final : public VerifyKey {
 public:
  P256Key(std::shared_ptr<const VerifyKey> fallback, std::shared_ptr<P256Tables> tables,
          std::shared_ptr<P256Tables::Slot> slot)
      : fallback_(std::move(fallback)), tables_(std::move(tables)), slot_(std::move(slot)) {}

  bool Verify(const uint8_t *data, size_t size, const uint8_t *signature, size_t signature_len) const override {
    const P256Table *table = slot_->table.load(std::memory_order_acquire);
    if (table == nullptr) {
      // The key's first check asks for its table (once); until it is built, OpenSSL's path.
      if (!slot_->wanted.load(std::memory_order_relaxed) && !slot_->wanted.exchange(true)) tables_->Want(slot_);
    } else if (size == 32 && signature_len == 64) {
      P256Table::Result result = table->Verify(data, signature);
      if (result != P256Table::Result::Error) {
        tables_->CountCheck();
        return result == P256Table::Result::Valid;
      }
      // Error: never a verdict of its own; EVP_PKEY_verify decides.
    }
    // Other lengths keep OpenSSL's handling of them (EVP_PKEY_verify).
    return fallback_->Verify(data, size, signature, signature_len);
  }

 private:
  std::shared_ptr<const VerifyKey> fallback_;
  std::shared_ptr<P256Tables> tables_;
  std::shared_ptr<P256Tables::Slot> slot_;
};

}  // namespace

std::shared_ptr<const VerifyKey> CreateP256Key(std::shared_ptr<const VerifyKey> fallback, const Bytes &point,
                                               std::shared_ptr<P256Tables> tables) {
  // No table will ever be built with a budget of 0: the key is checked as before, without a wrapper.
  if (fallback == nullptr || tables == nullptr || tables->budget() == 0 || !Lib().ok || point.size() != 33) {
    return fallback;
  }
  std::shared_ptr<P256Tables::Slot> slot = tables->SlotFor(point);
  return std::make_shared<const P256Key>(std::move(fallback), std::move(tables), std::move(slot));
}

}  // namespace hsm
