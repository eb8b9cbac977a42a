// One loaded and initialised PKCS#11 library per canonical path per process, shared and refcounted
// (PKCS#11 v2.40 §5.4: C_Initialize and C_Finalize act on the whole process, not on one caller).
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "pkcs11_defs.h"

namespace hsm {

// Readers are PKCS#11 operations; the writer is a reinitialisation, which must wait for every
// operation in flight (drain). Writer-preferring so a saturated pool cannot starve it.
class Gate {
 public:
  Gate();
  ~Gate();
  void LockShared();
  void UnlockShared();
  void Lock();
  // Lock() giving up after `wait`: a call hung inside the library holds its shared lock indefinitely,
  // and while a writer waits no new reader gets in (writer-preferring).
  bool TryLockFor(std::chrono::milliseconds wait);
  void Unlock();

 private:
  pthread_rwlock_t lock_;
};

class SharedGuard {
 public:
  explicit SharedGuard(Gate &g) : g_(g) { g_.LockShared(); }
  ~SharedGuard() { g_.UnlockShared(); }
  SharedGuard(const SharedGuard &) = delete;
  SharedGuard &operator=(const SharedGuard &) = delete;

 private:
  Gate &g_;
};

class Module {
 public:
  // Loads (or shares) the library at an absolute path and initialises it. Throws Pkcs11Failure.
  static std::shared_ptr<Module> Acquire(const std::string &path);
  // Runs `hook` at process exit before the vendor library's own static destructors: process.exit() skips
  // Node's environment cleanup, and a worker still inside the library would crash in them.
  static void AddExitHook(void (*hook)());
  // Registers the exit hooks with atexit; call after the library is fully initialised (idempotent hooks).
  static void ArmExitHooks();
  // Number of live users of the module loaded from `path` (0 when none): for tests and diagnostics.
  static long UseCount(const std::string &path);

  ~Module();
  CK_FUNCTION_LIST *fl() const { return fl_; }
  Gate &gate() { return gate_; }
  uint64_t generation() const { return generation_.load(); }
  bool owns_finalize() const { return owns_; }
  const std::string &path() const { return path_; }
  // Login state is per application and token, so a second login with a wrong PIN reads as
  // CKR_USER_ALREADY_LOGGED_IN. The module remembers the PIN that logged each token in (by serial) and
  // CheckPin refuses a different one as CKR_PIN_INCORRECT; an unknown token (logged in by someone else in
  // this process) is accepted.
  void RememberPin(const std::string &token, const std::string &pin);
  void CheckPin(const std::string &token, const std::string &pin);
  // Throws unless called from the process that initialised the library (no use after fork).
  void CheckPid() const;
  // Drains every operation (exclusive gate), finalizes when we own the library, initialises again, and
  // bumps the generation so every pool re-opens its sessions. No-op (CKR_OK) if `seen` is already stale.
  // Returns C_Initialize's result (CKR_OK also when someone else in this process initialised it), or
  // nothing when an operation did not finish within kDrainWait (a hung call): then nothing was done.
  std::optional<CK_RV> Reinitialize(uint64_t seen);
  static constexpr std::chrono::milliseconds kDrainWait{500};

 private:
  Module(std::string path, void *handle, CK_FUNCTION_LIST *fl);
  void Initialize();

  std::string path_;
  void *handle_;
  CK_FUNCTION_LIST *fl_;
  bool owns_ = false;
  pid_t pid_;
  Gate gate_;
  std::atomic<uint64_t> generation_{1};
  std::mutex pins_mu_;
  std::map<std::string, std::string> pins_;
};

}  // namespace hsm
