// A logged-in token with N read-write sessions, each owned by one native thread fed by a shared queue.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
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
#include "verify_p256.h"

namespace hsm {

// How Pool::Open sets the pool up (HsmOptions in src/hsm/ checks each first).
struct PoolOptions {
  size_t sessions = 1;            // worker sessions, capped by the token's session limit
  bool sign_ahead = false;        // an idle worker runs C_SignInit for its next sign (sign_ahead.h)
  bool verify_signatures = true;  // false: sign jobs skip the check after C_Sign (the caller verifies)
  size_t max_queue = SIZE_MAX;    // jobs waiting for a session beyond this are refused (ERR_HSM_BUSY)
  size_t verify_tables = 64;      // P-256 keys given a table of multiples for their check (verify_p256.h)
};

struct PoolStats {
  size_t sessions, busy, queued, recycled, signs, errors;
  bool unavailable;  // in an outage (outage.h)
  size_t outages;
  size_t timeouts, queue_full, replaced, set_aside, max_queue;
  size_t signs_ahead;            // signs served by an operation initialised ahead (sign_ahead.h)
  size_t verify_tables;          // P-256 tables built (verify_p256.h)
  uint64_t verify_table_checks;  // checks that reached their verdict through one
};

// Per-worker session state; touched only by its worker thread.
struct WorkerSession {
  CK_SESSION_HANDLE handle = 0;
  uint64_t generation = 0;
  uint64_t module_generation = 0;  // the library generation `handle` was opened in
  bool recycle = false;
  SignAhead ahead;  // armed only when the pool signs ahead (worker.cpp ArmAhead)
};

// One worker thread and its session. Kept in a std::list: a worker stuck in a call is set aside (its
// entry stays until its thread is joined) while a replacement is appended.
struct Worker {
  WorkerSession ws;
  std::thread thread;
  // Under the pool's queue lock:
  Job *current = nullptr;  // the job inside Execute, if any
  bool set_aside = false;  // its job (or its preparation ahead) outlived its deadline: answered without it
  // While it runs C_SignInit ahead (sign_ahead.h): when the watchdog gives up on that call. Nobody waits
  // on it, but a session stuck there is lost to the pool like one stuck in a job.
  std::chrono::steady_clock::time_point preparing_until = std::chrono::steady_clock::time_point::max();
  bool replaced = false;  // a replacement was started: exit (closing the session) once the call returns
  bool exited = false;    // the thread has returned and may be joined
};

struct KeyEntry {
  std::string label;
  Bytes id;
  CK_OBJECT_HANDLE handle;
  uint64_t generation;
  // The public key, parsed for verification on the key's first signature only: a parsed key (OpenSSL's
  // EVP_PKEY with its provider data) weighs far more than the point, and a token may hold many keys of
  // which few ever sign.
  std::string curve;
  Bytes point;
  std::shared_ptr<const VerifyKey> verify;  // null until then, and when the pool does not verify
};

struct ResolvedKey {
  CK_OBJECT_HANDLE handle;
  std::shared_ptr<const VerifyKey> verify;
};

class Pool {
 public:
  // Receives every finished job the moment its worker is done with it (from worker and watchdog threads).
  // Batching happens on the receiving side (pool_handle.cpp): a worker never holds a result back.
  using CompletionSink = std::function<void(Job *)>;
  enum class SubmitResult { Taken, Closed, Full };
  // A worker handing over while the JS thread has settled nothing for this long yields its core to it
  // (worker.cpp): the JS thread is then waiting for CPU, not for work.
  static constexpr std::chrono::microseconds kJsStarved{300};

  // Loads the library, selects the token, logs in once and opens the worker sessions.
  static std::shared_ptr<Pool> Open(const std::string &library, const TokenSelector &sel, const std::string &pin,
                                    const PoolOptions &options);
  ~Pool();

  // Starts the worker threads; completed jobs go to `sink` (from worker threads).
  void Start(CompletionSink sink);
  // Closed or Full: the job was not taken (the caller answers it).
  SubmitResult Submit(Job *job);
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

  // Key handle cache, valid for one pool generation: a lookup per sign would double the token round trips,
  // and a handle lost to a reinitialisation or a token restart is re-resolved by label + id. `pub` is the
  // key's public key, already accepted by VerifyKey::Create when native verification is available.
  int RegisterKey(const std::string &label, const Bytes &id, CK_OBJECT_HANDLE handle, const PublicKey &pub);
  // `ahead`: an operation armed on `s` ends before a lookup (C_FindObjects* would meet CKR_OPERATION_ACTIVE).
  // Its verifier too, built on the key's first use (null when native verification is unavailable or the
  // pool was opened without it).
  ResolvedKey ResolveKey(int ref, CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, SignAhead &ahead);
  void ForgetKey(int ref);
  void CountSign(bool ahead) {
    signs_++;
    if (ahead) signs_ahead_++;
  }
  // JS thread: a batch of completions was settled (see kJsStarved).
  void MarkSettled() { last_settled_ = std::chrono::steady_clock::now().time_since_epoch().count(); }

 private:
  Pool(std::shared_ptr<Module> module, TokenSelector sel, std::string pin);
  void WorkerLoop(Worker *w);
  void WatchdogLoop();
  // Under queue_mu_: answers expired jobs, sets stuck workers aside; returns the next deadline to watch.
  std::chrono::steady_clock::time_point ExpireLocked(std::vector<Job *> &answered);
  void SetAsideLocked(Worker &w);  // the caller has taken it out of busy_ if it ran a job
  void StartWorkerLocked();
  void RetireSession(WorkerSession &ws);
  bool JsStarved() const;
  void ArmAhead(WorkerSession &ws);
  void StopWorkers(bool drop_queued);

  // recovery.cpp: the only place where failures are classified and acted upon.
  void Execute(Job &job, WorkerSession &ws);
  void Attempts(Job &job, WorkerSession &ws, bool probing);
  bool Probe();
  void EnsureReady(WorkerSession &ws);  // under the module gate
  void Establish();                     // select token, open anchor session, log in (single-flight)
  void ThrowIfFatal();                  // the PIN failure that ended logging in, if any (under state_mu_)
  void Relogin(uint64_t seen_epoch);
  void CloseSessions();

  std::shared_ptr<Module> module_;
  TokenSelector selector_;
  std::string pin_;
  size_t session_count_ = 1;
  bool sign_ahead_ = false;
  bool verify_signatures_ = true;
  // Never null (Stats and StopWorkers read it): Open replaces this empty one with the pool's budget.
  std::shared_ptr<P256Tables> verify_tables_ = std::make_shared<P256Tables>(0);
  CK_ULONG max_sessions_ = CK_EFFECTIVELY_INFINITE;

  std::mutex state_mu_;  // guards the fields below (order: module gate, then state_mu_)
  CK_SLOT_ID slot_ = 0;
  CK_SESSION_HANDLE anchor_ = 0;
  uint64_t anchor_generation_ = 0;       // the library generation anchor_ was opened in
  std::atomic<uint64_t> generation_{0};  // module generation the anchor login belongs to
  std::atomic<uint64_t> login_epoch_{0};
  std::unique_ptr<Pkcs11Failure> fatal_;  // a PIN failure: never try that PIN again
  std::list<Worker> workers_;             // list: entries stay put while workers are added and set aside

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
  CompletionSink sink_;
  size_t max_queue_ = 0;
  size_t set_aside_live_ = 0;  // set-aside workers still inside their call (bounded by session_count_)
  // The watchdog sleeps until the earliest deadline of a queued or running job, and not at all while
  // nothing is in flight: Submit wakes it only when it brings an earlier deadline than it waits for.
  std::thread watchdog_;
  std::condition_variable watchdog_cv_;
  std::chrono::steady_clock::time_point watch_until_ = std::chrono::steady_clock::time_point::max();

  Outage outage_;
  std::atomic<size_t> recycled_{0}, signs_{0}, errors_{0}, timeouts_{0}, queue_full_{0}, replaced_{0};
  std::atomic<size_t> signs_ahead_{0};
  std::atomic<std::chrono::steady_clock::rep> last_settled_{0};
};

}  // namespace hsm
