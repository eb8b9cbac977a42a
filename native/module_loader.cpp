#include "module_loader.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <vector>

#include "errors.h"

namespace hsm {

Gate::Gate() {
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
#ifdef __GLIBC__
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
  pthread_rwlock_init(&lock_, &attr);
  pthread_rwlockattr_destroy(&attr);
}
Gate::~Gate() { pthread_rwlock_destroy(&lock_); }
void Gate::LockShared() { pthread_rwlock_rdlock(&lock_); }
void Gate::UnlockShared() { pthread_rwlock_unlock(&lock_); }
void Gate::Lock() { pthread_rwlock_wrlock(&lock_); }
void Gate::Unlock() { pthread_rwlock_unlock(&lock_); }
bool Gate::TryLockFor(std::chrono::milliseconds wait) {
  timespec until;
  clock_gettime(CLOCK_REALTIME, &until);  // pthread_rwlock_timedwrlock measures against CLOCK_REALTIME
  auto ns = until.tv_nsec + std::chrono::nanoseconds(wait).count();
  until.tv_sec += static_cast<time_t>(ns / 1000000000);
  until.tv_nsec = static_cast<long>(ns % 1000000000);
  return pthread_rwlock_timedwrlock(&lock_, &until) == 0;
}

namespace {

std::mutex registry_mu;

// weak: the module finalizes when its last pool lets go.
std::map<std::string, std::weak_ptr<Module>> &Registry() {
  static auto *r = new std::map<std::string, std::weak_ptr<Module>>();
  return *r;
}

// dlopen handles are never closed: a vendor library may keep threads or atexit handlers alive, and
// unloading under them crashes. Re-acquiring a path reuses its handle.
std::map<std::string, void *> &Handles() {
  static auto *h = new std::map<std::string, void *>();
  return *h;
}

std::vector<void (*)()> &ExitHooks() {
  static auto *h = new std::vector<void (*)()>();
  return *h;
}

void RunExitHooks() {
  for (auto hook : ExitHooks()) hook();
}

std::string Canonical(const std::string &path) {
  if (path.empty() || path[0] != '/') {  // src/hsm/options.ts refuses bare names first
    throw Pkcs11Failure("ERR_HSM_LOAD", "dlopen", "the PKCS#11 library must be an absolute path: " + path);
  }
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) == nullptr) {
    throw Pkcs11Failure("ERR_HSM_LOAD", "dlopen", "PKCS#11 library not found: " + path);
  }
  return buf;
}

void *Open(const std::string &path) {
  auto found = Handles().find(path);
  if (found != Handles().end()) return found->second;
  int flags = RTLD_NOW | RTLD_LOCAL;
#if defined(__GLIBC__) && defined(RTLD_DEEPBIND) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // Node exports its own OpenSSL; without DEEPBIND a vendor library linked to the system libcrypto
  // (SoftHSM2) may bind to Node's copy instead, and crash when the two versions differ. Sanitizer
  // runtimes refuse DEEPBIND (it would hide their malloc/pthread interceptors from the library), so the
  // sanitizer builds (native/sanitize.sh) go without it.
  flags |= RTLD_DEEPBIND;
#endif
  void *handle = dlopen(path.c_str(), flags);
  if (handle == nullptr) {
    const char *why = dlerror();
    throw Pkcs11Failure("ERR_HSM_LOAD", "dlopen",
                        "cannot load PKCS#11 library " + path + ": " + (why ? why : "unknown error"));
  }
  Handles()[path] = handle;
  return handle;
}

// PKCS#11 v3.0 §5.4: prefer C_GetInterface("PKCS 11"), fall back to C_GetFunctionList (v2.x).
CK_FUNCTION_LIST *FunctionList(void *handle, const std::string &path) {
  auto get_interface = reinterpret_cast<CK_C_GetInterface>(dlsym(handle, "C_GetInterface"));
  if (get_interface != nullptr) {
    CK_INTERFACE *iface = nullptr;
    CK_UTF8CHAR name[] = "PKCS 11";
    if (get_interface(name, nullptr, &iface, 0) == CKR_OK && iface != nullptr && iface->pFunctionList) {
      return static_cast<CK_FUNCTION_LIST *>(iface->pFunctionList);
    }
  }
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
  if (get_list == nullptr) {
    throw Pkcs11Failure("ERR_HSM_NOT_PKCS11", "dlsym",
                        path + " is not a PKCS#11 library (no C_GetInterface or C_GetFunctionList)");
  }
  CK_FUNCTION_LIST *fl = nullptr;
  Check(get_list(&fl), "C_GetFunctionList");
  if (fl == nullptr) throw Pkcs11Failure("ERR_HSM_NOT_PKCS11", "C_GetFunctionList", "empty function list");
  return fl;
}

}  // namespace

std::shared_ptr<Module> Module::Acquire(const std::string &path) {
  std::string canonical = Canonical(path);
  std::lock_guard<std::mutex> lock(registry_mu);
  auto &slot = Registry()[canonical];
  if (auto existing = slot.lock()) {
    existing->CheckPid();
    return existing;
  }
  void *handle = Open(canonical);
  std::shared_ptr<Module> m(new Module(canonical, handle, FunctionList(handle, canonical)));
  m->Initialize();
  slot = m;
  return m;
}

void Module::AddExitHook(void (*hook)()) {
  std::lock_guard<std::mutex> lock(registry_mu);
  ExitHooks().push_back(hook);
}

void Module::ArmExitHooks() {
  // atexit handlers run in reverse order of registration. Registered once the library is initialised
  // and in use, ours runs before the library's static destructors and before the atexit cleanup of the
  // libraries it initialised on the way (OpenSSL's OPENSSL_cleanup, seen crashing SoftHSM2 otherwise).
  std::atexit(RunExitHooks);
}

long Module::UseCount(const std::string &path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) == nullptr) return 0;
  std::lock_guard<std::mutex> lock(registry_mu);
  auto found = Registry().find(buf);
  return found == Registry().end() ? 0 : found->second.use_count();
}

Module::Module(std::string path, void *handle, CK_FUNCTION_LIST *fl)
    : path_(std::move(path)), handle_(handle), fl_(fl), pid_(getpid()) {}

void Module::Initialize() {
  // CKF_OS_LOCKING_OK: SoftHSM2 runs without locks unless asked (PKCS#11 v2.40 §5.4, C_Initialize
  // flags), and our workers call it from several threads.
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  CK_RV rv = fl_->C_Initialize(&args);
  if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    owns_ = false;  // someone else in this process initialised it and owns C_Finalize
    return;
  }
  Check(rv, "C_Initialize");
  owns_ = true;
}

Module::~Module() {
  if (owns_ && getpid() == pid_) fl_->C_Finalize(nullptr);
}

void Module::RememberPin(const std::string &token, const std::string &pin) {
  std::lock_guard<std::mutex> lock(pins_mu_);
  pins_[token] = pin;
}

void Module::CheckPin(const std::string &token, const std::string &pin) {
  std::lock_guard<std::mutex> lock(pins_mu_);
  auto found = pins_.find(token);
  if (found != pins_.end() && found->second != pin) {
    throw Pkcs11Failure(CKR_PIN_INCORRECT, "C_Login", "token already logged in by this process with another PIN");
  }
}

void Module::CheckPid() const {
  if (getpid() != pid_) {
    throw Pkcs11Failure("ERR_HSM_FORKED", "getpid",
                        "PKCS#11 library was initialised in another process (used after fork)");
  }
}

std::optional<CK_RV> Module::Reinitialize(uint64_t seen) {
  if (!gate_.TryLockFor(kDrainWait)) return std::nullopt;
  CK_RV rv = CKR_OK;
  if (generation_.load() == seen) {
    if (owns_) fl_->C_Finalize(nullptr);
    // Always initialise again, owned or not: a C_Initialize that failed (the library's daemon or server
    // was down) left the library uninitialised, and only a later C_Initialize can bring it back.
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    rv = fl_->C_Initialize(&args);
    owns_ = rv == CKR_OK;
    if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) rv = CKR_OK;  // another user in this process owns it
    generation_++;
  }
  gate_.Unlock();
  return rv;
}

}  // namespace hsm
