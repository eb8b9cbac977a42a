#include "session_pool.h"

#include <set>

#include "errors.h"
#include "keys.h"
#include "verify.h"

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
                                 const PoolOptions &options) {
  size_t sessions = options.sessions;
  std::shared_ptr<Pool> pool(new Pool(Module::Acquire(library), sel, pin));
  SharedGuard gate(pool->module_->gate());
  pool->Establish();
  pool->ThrowIfFatal();
  // A finite ulMaxSessionCount caps the pool; one session is the login anchor.
  CK_ULONG max = pool->max_sessions_;
  if (max != CK_EFFECTIVELY_INFINITE && max != CK_UNAVAILABLE_INFORMATION && max > 1) {
    sessions = std::min<size_t>(sessions, max - 1);
  }
  pool->session_count_ = std::max<size_t>(1, sessions);
  pool->sign_ahead_ = options.sign_ahead;
  pool->verify_signatures_ = options.verify_signatures;
  pool->verify_tables_ = std::make_shared<P256Tables>(options.verify_tables);
  pool->max_queue_ = options.max_queue;
  pool->workers_.resize(pool->session_count_);
  for (auto &w : pool->workers_) pool->EnsureReady(w.ws);  // open eagerly: fail now, not at first sign
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

void Pool::CloseSessions() {
  if (!module_) return;
  SharedGuard gate(module_->gate());
  auto *fl = module_->fl();
  std::lock_guard<std::mutex> lock(state_mu_);
  for (auto &w : workers_) {
    if (w.ws.handle != 0) fl->C_CloseSession(w.ws.handle);
    w.ws.handle = 0;
  }
  // The anchor goes last; closing it never logs the other applications out. Never C_Logout.
  if (anchor_ != 0) fl->C_CloseSession(anchor_);
  anchor_ = 0;
}

PoolStats Pool::Stats() const {
  std::lock_guard<std::mutex> lock(queue_mu_);
  return {session_count_,          busy_,           queue_.size(),   recycled_.load(),    signs_.load(),
          errors_.load(),          outage_.down(),  outage_.count(), timeouts_.load(),    queue_full_.load(),
          replaced_.load(),        set_aside_live_, max_queue_,      signs_ahead_.load(), verify_tables_->built(),
          verify_tables_->checks()};
}

int Pool::RegisterKey(const std::string &label, const Bytes &id, CK_OBJECT_HANDLE handle, const PublicKey &pub) {
  std::lock_guard<std::mutex> lock(keys_mu_);
  auto [it, added] = key_refs_.try_emplace({label, id}, static_cast<int>(keys_.size()));
  if (added) {
    keys_.push_back({label, id, handle, generation_, pub.curve, pub.point, nullptr});
    return it->second;
  }
  KeyEntry &k = keys_[it->second];
  k.handle = handle;
  k.generation = generation_;
  if (k.curve != pub.curve || k.point != pub.point) {  // the object under this label/id is a new key
    k.curve = pub.curve;
    k.point = pub.point;
    k.verify = nullptr;
  }
  return it->second;
}

namespace {

// Under keys_mu_: the key's verifier, parsed on its first use (once per key, so inside the lock); none
// for a pool that leaves the check to its caller.
std::shared_ptr<const VerifyKey> VerifierOf(KeyEntry &k, bool wanted, const std::shared_ptr<P256Tables> &tables) {
  if (k.verify == nullptr && wanted && NativeVerifyAvailable()) {
    k.verify = VerifyKey::Create(k.curve, k.point, tables);
    // RegisterKey's caller had it accepted: only an allocation failing inside OpenSSL lands here.
    if (k.verify == nullptr) throw Pkcs11Failure("ERR_HSM_INTERNAL", "sign", "cannot parse the key for verification");
  }
  return k.verify;
}

}  // namespace

ResolvedKey Pool::ResolveKey(int ref, CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, SignAhead &ahead) {
  std::string label;
  Bytes id;
  {
    std::lock_guard<std::mutex> lock(keys_mu_);
    if (ref < 0 || static_cast<size_t>(ref) >= keys_.size()) {  // refs come from keys()/generate()
      throw Pkcs11Failure("ERR_HSM_KEY_NOT_FOUND", "sign", "no key with ref " + std::to_string(ref) + " in this pool");
    }
    KeyEntry &k = keys_[ref];
    if (k.handle != 0 && k.generation == generation_)
      return {k.handle, VerifierOf(k, verify_signatures_, verify_tables_)};
    label = k.label;
    id = k.id;
  }
  ahead.Release(fl, s);
  CK_OBJECT_HANDLE h = FindPrivateKey(fl, s, label, id);
  std::lock_guard<std::mutex> lock(keys_mu_);
  keys_[ref].handle = h;
  keys_[ref].generation = generation_;
  return {h, VerifierOf(keys_[ref], verify_signatures_, verify_tables_)};
}

void Pool::ForgetKey(int ref) {
  std::lock_guard<std::mutex> lock(keys_mu_);
  keys_[ref].handle = 0;
}

}  // namespace hsm
