// P-256 ECDSA verification with precomputed multiples of the public key. A check computes u1·G + u2·Q
// (SEC 1 v2 §4.1.4); OpenSSL multiplies G through a built-in comb table but treats Q as a variable base,
// the costlier half. A pool's keys are fixed, so a key that signs gets a table for Q as well: an EC_GROUP
// whose generator is Q, with EC_GROUP_precompute_mult's multiples, makes u2·Q the same fixed-base
// multiplication as u1·G. Tables are built within a per-pool budget by the pool's own low-priority builder
// thread, off every sign's path; a key without one, and any failure on the way, uses OpenSSL's
// EVP_PKEY_verify.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "verify.h"

namespace hsm {

class P256Table;

// One pool's tables: at most `budget` of them (each holds OpenSSL's 37×64 affine points), one
// per public point, kept until the pool and its keys are gone (a key registered again by keys() finds
// its table). Shared by the pool and its keys; every method may be called from any thread.
class P256Tables {
 public:
  // A public point's table once built; keys of the same point share it.
  struct Slot {
    explicit Slot(Bytes p) : point(std::move(p)) {}
    ~Slot();
    const Bytes point;                              // 33-byte compressed SEC1 point
    std::atomic<bool> wanted{false};                // asked for (Want), at most once
    std::atomic<const P256Table *> table{nullptr};  // published (release) once built, never changed after
  };

  explicit P256Tables(size_t budget) : budget_(budget) {}
  ~P256Tables() { Stop(); }
  P256Tables(const P256Tables &) = delete;
  P256Tables &operator=(const P256Tables &) = delete;

  std::shared_ptr<Slot> SlotFor(const Bytes &point);
  // Queues the slot's build (a key's first check) for the builder thread, started on the first.
  void Want(const std::shared_ptr<Slot> &slot);
  // No more builds: drops the queue and joins the builder (pool shutdown; a build in progress ends first).
  void Stop();
  // Builds the point's table now (tests and benches); false when the budget or OpenSSL refuses.
  bool BuildNow(const Bytes &point);
  // Published, ready for checks. Acquire: whoever sees the count and then hands a job to a worker has that
  // worker see the tables too.
  size_t built() const { return ready_.load(std::memory_order_acquire); }
  // Checks that reached a verdict through a table (the others went to EVP_PKEY_verify).
  uint64_t checks() const { return checks_.load(std::memory_order_relaxed); }
  void CountCheck() { checks_.fetch_add(1, std::memory_order_relaxed); }
  size_t budget() const { return budget_; }

 private:
  bool Build(Slot &slot);  // `slot` claimed by the caller; false on any failure
  void BuilderLoop();

  const size_t budget_;
  size_t reserved_ = 0;           // tables built or being built, ≤ budget_; under mu_
  std::atomic<size_t> ready_{0};  // of those, built
  std::atomic<uint64_t> checks_{0};
  std::mutex mu_;  // guards slots_, wanted_, reserved_, stopping_ and builder_
  std::condition_variable wanted_cv_;
  std::map<Bytes, std::shared_ptr<Slot>> slots_;
  std::deque<std::shared_ptr<Slot>> wanted_;
  bool stopping_ = false;
  std::thread builder_;
};

// A P-256 key checked through its table once built, else (and on any failure of the table path) through
// `fallback`, the EVP_PKEY_verify key. `point` is the compressed point `fallback` was parsed from.
std::shared_ptr<const VerifyKey> CreateP256Key(std::shared_ptr<const VerifyKey> fallback, const Bytes &point,
                                               std::shared_ptr<P256Tables> tables);

}  // namespace hsm
