// A logged-in token with N read-write sessions, each owned by one native thread fed by a shared queue.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ec_point.h"
#include "job.h"
#include "module_loader.h"
#include "outage.h"
#include "sign_ahead.h"
#include "token.h"
#include "verify.h"

namespace hsm {

struct PoolStats {
  size_t sessions, busy, queued, recycled, signs, errors;
  bool unavailable;  // in an outage (outage.h)
  size_t outages;
};

// Per-worker session state; touched only by its worker thread.
struct WorkerSession {
  CK_SESSION_HANDLE handle = 0;
  uint64_t generation = 0;
  uint64_t module_generation = 0;  // the library generation `handle` was opened in
  bool recycle = false;
  SignAhead ahead;  // armed only when the pool signs ahead (worker.cpp ArmAhead)
};

struct KeyEntry {
  std::string label;
  Bytes id;
  CK_OBJECT_HANDLE handle;
  uint64_t generation;
  std::shared_ptr<const VerifyKey> verify;  // null only when native verification is unavailable
};

struct ResolvedKey {
  CK_OBJECT_HANDLE handle;
  std::shared_ptr<const VerifyKey> verify;
};

class Pool {
 public:
  // Receives finished jobs in batches. Each hand-over wakes the JS thread, which on a busy machine costs
  // more than a signature (measured ~17 us per wake-up with 2 cores), so while more work is queued a
  // worker hands over up to kMaxBatch jobs at once, holding none longer than kMaxBatchDelay. With an
  // empty queue every job is handed over at once: no added latency unless saturated.
  using CompletionSink = std::function<void(std::vector<Job *> &&)>;
  static constexpr size_t kMaxBatch = 16;
  static constexpr std::chrono::microseconds kMaxBatchDelay{300};
  // A worker handing over while the JS thread has settled nothing for this long yields its core to it
  // (worker.cpp): the JS thread is then waiting for CPU, not for work.
  static constexpr std::chrono::microseconds kJsStarved{300};

  // Loads the library, selects the token, logs in once and opens `sessions` worker sessions.
  // `sign_ahead`: an idle worker runs C_SignInit for its next sign (sign_ahead.h).
  // `verify_signatures` false: sign jobs skip the check after C_Sign (bench only: the caller verifies).
  static std::shared_ptr<Pool> Open(const std::string &library, const TokenSelector &sel, const std::string &pin,
                                    size_t sessions, bool sign_ahead, bool verify_signatures);
  ~Pool();

  // Starts the worker threads; completed jobs go to `sink` (from worker threads).
  void Start(CompletionSink sink);
  // False when closing: the job was not taken.
  bool Submit(Job *job);
  // Waits until no job is queued or running, then stops threads, closes sessions, releases the module.
  void Close();
  // Exit path: drops queued jobs, waits for running ones, then as Close().
  void Abort();
  // Aborts every live pool (process exit).
  static void AbortAll();
  PoolStats Stats() const;
  Module &module() { return *module_; }
  CK_SLOT_ID slot() {
    std::lock_guard<std::mutex> lock(state_mu_);
    return slot_;
  }
  bool closing() const { return closing_.load(); }
  bool verifies_signatures() const { return verify_signatures_; }

  // Key handle cache, valid for one pool generation (DESIGN.md §6: cache handles, re-resolve on loss).
  int RegisterKey(const std::string &label, const Bytes &id, CK_OBJECT_HANDLE handle,
                  std::shared_ptr<const VerifyKey> verify);
  // `ahead`: an operation armed on `s` ends before a lookup (C_FindObjects* would meet CKR_OPERATION_ACTIVE).
  ResolvedKey ResolveKey(int ref, CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, SignAhead &ahead);
  void ForgetKey(int ref);
  void CountSign() { signs_++; }
  // JS thread: a batch of completions was settled (see kJsStarved).
  void MarkSettled() { last_settled_ = std::chrono::steady_clock::now().time_since_epoch().count(); }

 private:
  Pool(std::shared_ptr<Module> module, TokenSelector sel, std::string pin);
  void WorkerLoop(size_t index);
  bool JsStarved() const;
  void ArmAhead(WorkerSession &ws);
  void StopWorkers(bool drop_queued);

  // recovery.cpp: the only place where failures are classified and acted upon.
  void Execute(Job &job, WorkerSession &ws);
  void Attempts(Job &job, WorkerSession &ws, bool probing);
  bool Probe();
  void EnsureReady(WorkerSession &ws);  // under the module gate
  void Establish();                     // select token, open anchor session, log in (single-flight)
  void Relogin(uint64_t seen_epoch);
  void CloseSessions();

  std::shared_ptr<Module> module_;
  TokenSelector selector_;
  std::string pin_;
  size_t session_count_ = 1;
  bool sign_ahead_ = false;
  bool verify_signatures_ = true;
  CK_ULONG max_sessions_ = CK_EFFECTIVELY_INFINITE;

  std::mutex state_mu_;  // guards the fields below (order: module gate, then state_mu_)
  CK_SLOT_ID slot_ = 0;
  CK_SESSION_HANDLE anchor_ = 0;
  uint64_t anchor_generation_ = 0;       // the library generation anchor_ was opened in
  std::atomic<uint64_t> generation_{0};  // module generation the anchor login belongs to
  std::atomic<uint64_t> login_epoch_{0};
  std::unique_ptr<Pkcs11Failure> fatal_;  // a PIN failure: never try that PIN again
  std::vector<WorkerSession> sessions_;

  std::mutex keys_mu_;
  std::vector<KeyEntry> keys_;
  std::map<std::pair<std::string, Bytes>, int> key_refs_;  // (label, id) → index in keys_: O(log n) per key

  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::condition_variable idle_cv_;
  std::deque<Job *> queue_;
  size_t busy_ = 0;
  bool stop_ = false;
  std::atomic<bool> closing_{false};
  std::atomic<bool> aborted_{false};  // AbortAll ran for this pool (process exit)
  std::vector<std::thread> threads_;
  CompletionSink sink_;

  Outage outage_;
  std::atomic<size_t> recycled_{0}, signs_{0}, errors_{0};
  std::atomic<std::chrono::steady_clock::rep> last_settled_{0};
};

}  // namespace hsm
