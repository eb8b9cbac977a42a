#include "session_pool.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cassert>
#include <chrono>
#include <set>

#include "errors.h"
#include "keys.h"

namespace hsm {

namespace {
std::mutex live_mu;
std::set<Pool *> &Live() {
  static auto *live = new std::set<Pool *>();
  return *live;
}
}  // namespace

Pool::Pool(std::shared_ptr<Module> module, TokenSelector sel, std::string pin)
    : module_(std::move(module)), selector_(std::move(sel)), pin_(std::move(pin)) {
  static std::once_flag hook_once;
  std::call_once(hook_once, [] { Module::AddExitHook(&Pool::AbortAll); });
  std::lock_guard<std::mutex> lock(live_mu);
  Live().insert(this);
}

void Pool::AbortAll() {
  std::lock_guard<std::mutex> lock(live_mu);
  for (Pool *p : Live()) {
    if (!p->aborted_.exchange(true)) p->Abort();
  }
}

std::shared_ptr<Pool> Pool::Open(const std::string &library, const TokenSelector &sel, const std::string &pin,
                                 size_t sessions) {
  std::shared_ptr<Pool> pool(new Pool(Module::Acquire(library), sel, pin));
  SharedGuard gate(pool->module_->gate());
  pool->Establish();
  if (pool->fatal_) throw *pool->fatal_;
  // A finite ulMaxSessionCount caps the pool; one session is the login anchor.
  CK_ULONG max = pool->max_sessions_;
  if (max != CK_EFFECTIVELY_INFINITE && max != CK_UNAVAILABLE_INFORMATION && max > 1) {
    sessions = std::min<size_t>(sessions, max - 1);
  }
  pool->session_count_ = std::max<size_t>(1, sessions);
  pool->sessions_.resize(pool->session_count_);
  for (auto &ws : pool->sessions_) pool->EnsureReady(ws);  // open eagerly: fail now, not at first sign
  Module::ArmExitHooks();
  return pool;
}

Pool::~Pool() {
  {
    std::lock_guard<std::mutex> lock(live_mu);
    Live().erase(this);
  }
  StopWorkers(true);
  CloseSessions();
}

void Pool::Start(CompletionSink sink) {
  sink_ = std::move(sink);
  for (size_t i = 0; i < session_count_; i++) threads_.emplace_back(&Pool::WorkerLoop, this, i);
}

bool Pool::Submit(Job *job) {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (stop_ || closing_) return false;
    queue_.push_back(job);
  }
  queue_cv_.notify_one();
  return true;
}

void Pool::Close() {
  closing_ = true;
  {
    std::unique_lock<std::mutex> lock(queue_mu_);
    idle_cv_.wait(lock, [&] { return queue_.empty() && busy_ == 0; });  // drain in-flight work
  }
  StopWorkers(false);
  CloseSessions();
  module_.reset();  // the last pool of a library finalizes it (only when we initialised it)
}

void Pool::Abort() {
  closing_ = true;
  StopWorkers(true);
  CloseSessions();
  module_.reset();
}

void Pool::StopWorkers(bool drop_queued) {
  std::deque<Job *> dropped;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stop_ = true;
    if (drop_queued) dropped.swap(queue_);
  }
  queue_cv_.notify_all();
  for (auto &t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  for (Job *j : dropped) delete j;  // exit path: their promises can no longer be settled
}

void Pool::CloseSessions() {
  if (!module_) return;
  SharedGuard gate(module_->gate());
  auto *fl = module_->fl();
  std::lock_guard<std::mutex> lock(state_mu_);
  for (auto &ws : sessions_) {
    if (ws.handle != 0) fl->C_CloseSession(ws.handle);
    ws.handle = 0;
  }
  // The anchor goes last; closing it never logs the other applications out. Never C_Logout.
  if (anchor_ != 0) fl->C_CloseSession(anchor_);
  anchor_ = 0;
}

void Pool::WorkerLoop(size_t index) {
#ifdef __linux__
  // Slightly below the JS thread: with a CPU-bound token (SoftHSM2) and as many workers as cores, the
  // event loop must still get the CPU promptly; idle CPU still goes to the workers.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kWorkerNice);
#endif
  WorkerSession &ws = sessions_[index];
  std::vector<Job *> done;
  auto first_done = std::chrono::steady_clock::now();
  for (;;) {
    Job *job;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and nothing left
      job = queue_.front();
      queue_.pop_front();
      busy_++;
    }
    Execute(*job, ws);
    if (job->failure) errors_++;
    if (done.empty()) first_done = std::chrono::steady_clock::now();
    done.push_back(job);
    bool more;
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      more = !queue_.empty() && !stop_;
      busy_--;
      if (busy_ == 0 && queue_.empty()) idle_cv_.notify_all();
    }
    // Close() joins this thread before returning, so a batch handed over here is never lost.
    if (!more || done.size() >= kMaxBatch || std::chrono::steady_clock::now() - first_done >= kMaxBatchDelay) {
      sink_(std::move(done));
      done.clear();
    }
  }
}

PoolStats Pool::Stats() const {
  std::lock_guard<std::mutex> lock(queue_mu_);
  return {session_count_, busy_, queue_.size(), recycled_.load(), signs_.load(), errors_.load()};
}

int Pool::RegisterKey(const std::string &label, const Bytes &id, CK_OBJECT_HANDLE handle) {
  std::lock_guard<std::mutex> lock(keys_mu_);
  for (size_t i = 0; i < keys_.size(); i++) {
    if (keys_[i].label == label && keys_[i].id == id) {
      keys_[i].handle = handle;
      keys_[i].generation = generation_;
      return static_cast<int>(i);
    }
  }
  keys_.push_back({label, id, handle, generation_});
  return static_cast<int>(keys_.size() - 1);
}

CK_OBJECT_HANDLE Pool::ResolveKey(int ref, CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s) {
  std::string label;
  Bytes id;
  {
    std::lock_guard<std::mutex> lock(keys_mu_);
    assert(ref >= 0 && static_cast<size_t>(ref) < keys_.size());  // refs come from keys()/generate()
    KeyEntry &k = keys_[ref];
    if (k.handle != 0 && k.generation == generation_) return k.handle;
    label = k.label;
    id = k.id;
  }
  CK_OBJECT_HANDLE h = FindPrivateKey(fl, s, label, id);
  std::lock_guard<std::mutex> lock(keys_mu_);
  keys_[ref].handle = h;
  keys_[ref].generation = generation_;
  return h;
}

void Pool::ForgetKey(int ref) {
  std::lock_guard<std::mutex> lock(keys_mu_);
  keys_[ref].handle = 0;
}

}  // namespace hsm
