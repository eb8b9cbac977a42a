// How the pool reacts to PKCS#11 failures (docs/hsm.md, "Recovery"). Every PKCS#11 call of a job
// runs inside Execute(); nothing else retries. What recovery in place cannot fix is an outage (outage.h).
#include <chrono>
#include <thread>

#include "errors.h"
#include "outage.h"
#include "session_pool.h"

namespace hsm {

namespace {
constexpr int kMaxRetries = 3;  // transient errors, then escalate to one reinitialisation
constexpr int kBackoffMs[kMaxRetries] = {2, 10, 50};
constexpr int kMaxRecycles = 2;
}  // namespace

void Pool::Execute(Job &job, WorkerSession &ws) {
  Outage::Admission admission = outage_.Admit();
  if (admission == Outage::Admission::Refuse) {
    job.failure = std::make_unique<Pkcs11Failure>(outage_.Refusal());
    return;
  }
  bool probing = admission == Outage::Admission::Probe;
  if (probing && !Probe()) {
    job.failure = std::make_unique<Pkcs11Failure>(outage_.Refusal());
    return;
  }
  Attempts(job, ws, probing);
  if (!job.failure) {
    if (probing && job.timed_out.load()) outage_.Abandoned();
    return;
  }
  // Recovery in place did not help: the token is unavailable until a probe finds it again. This job
  // reports what it met; the jobs refused meanwhile report ERR_HSM_UNAVAILABLE with it as the cause.
  if (IsOutage(*job.failure)) {
    outage_.Failed(*job.failure);
    if (job.failure->rv == CKR_OK) job.failure->recovery = Recovery::Reinitialize;
  } else if (probing && outage_.down()) {
    outage_.Failed(*job.failure);  // the probe failed before it reached the token (e.g. a PIN refusal)
  }
}

// The one attempt of a backoff interval: start over from a fresh library state. False when even
// C_Initialize fails (a library whose daemon or server is still down); the outage then goes on.
bool Pool::Probe() {
  std::optional<CK_RV> rv = module_->Reinitialize(module_->generation());
  if (rv == CKR_OK) return true;
  outage_.Failed(rv ? Pkcs11Failure(*rv, "C_Initialize", "")
                    : Pkcs11Failure("ERR_HSM_TIMEOUT", "C_Finalize", "a call hung in the library kept it in use"));
  return false;
}

void Pool::Attempts(Job &job, WorkerSession &ws, bool probing) {
  int retries = 0, recycles = 0;
  bool relogged = false, reinitialised = false, reresolved = false, refreshed = false;
  for (;;) {
    // Answered already (deadline passed): a retry, recycle or reinitialisation would serve nobody. A
    // probe still owes its verdict: a slow reconnection must not leave the outage waiting for it.
    if (job.timed_out.load() && !probing) return;
    uint64_t seen_generation = 0, seen_epoch = 0;
    try {
      module_->CheckPid();
      SharedGuard gate(module_->gate());
      seen_generation = module_->generation();
      seen_epoch = login_epoch_;
      EnsureReady(ws);
      if (probing) {
        probing = false;
        outage_.Recovered();  // the token answered, the pool is logged in and this session is open
      }
      if (job.timed_out.load()) return;
      if (!job.KeepsSignAhead()) ws.ahead.Release(module_->fl(), ws.handle);
      JobContext ctx{*this, module_->fl(), ws.handle, ws.recycle, ws.ahead};
      job.Attempt(ctx);
      job.failure.reset();
      return;
    } catch (const Pkcs11Failure &f) {
      job.failure = std::make_unique<Pkcs11Failure>(f);
    } catch (...) {
      job.failure = std::make_unique<Pkcs11Failure>(CaughtFailure("worker"));  // nothing to recover
      return;
    }
    const Pkcs11Failure &f = *job.failure;
    // The slot list no longer shows the token (a client library that lost its server, a removed
    // device): once from a fresh library state, then the outage takes over.
    if (f.code == "ERR_HSM_TOKEN_NOT_FOUND" && job.Idempotent() && !reinitialised) {
      reinitialised = true;
      if (module_->Reinitialize(seen_generation)) continue;  // nothing: a hung call holds the gate
      return;
    }
    if (f.rv == CKR_OK) {
      // Not a PKCS#11 return value. A device fault (a signature that does not verify) gets one more
      // attempt on a fresh session; anything else has nothing to recover.
      if (f.recovery == Recovery::Retry && !refreshed) {
        refreshed = true;
        ws.recycle = true;
        recycled_++;
        continue;
      }
      return;
    }
    if ((f.rv == CKR_KEY_HANDLE_INVALID || f.rv == CKR_OBJECT_HANDLE_INVALID) && !reresolved) {
      reresolved = true;
      job.ForgetKey();
      continue;
    }
    Recovery recovery = RecoveryOf(f.rv);
    // A failed key generation may still have created the key: never repeat it on a transient error.
    if (!job.Idempotent() && (recovery == Recovery::Retry || recovery == Recovery::Reinitialize)) return;
    switch (recovery) {
      case Recovery::Recycle:
        if (recycles++ < kMaxRecycles) {
          ws.recycle = true;
          recycled_++;
          continue;
        }
        break;
      case Recovery::Relogin:
        if (!relogged) {
          relogged = true;
          Relogin(seen_epoch);
          continue;
        }
        break;
      case Recovery::Retry:
        if (retries < kMaxRetries) {
          std::this_thread::sleep_for(std::chrono::milliseconds(kBackoffMs[retries++]));
          continue;
        }
        if (!reinitialised) {  // repeated failure: start over from a fresh library state
          reinitialised = true;
          // Nothing: a call hung elsewhere holds the gate; waiting on would stall every worker behind it.
          if (module_->Reinitialize(seen_generation)) continue;
        }
        break;
      case Recovery::Reinitialize:
        if (!reinitialised) {
          reinitialised = true;
          // Takes the gate exclusively (drains every worker), or gives up behind a hung call.
          if (module_->Reinitialize(seen_generation)) continue;
        }
        break;
      case Recovery::Fatal:
      case Recovery::None:
        break;
    }
    return;
  }
}

// Under the shared module gate. Re-establishes what a reinitialisation or a recycle invalidated.
// Lock discipline. The caller holds the module gate shared, so the module's generation cannot change
// while this runs (Reinitialize takes the gate exclusively). generation_ is atomic and read here without
// state_mu_ on purpose: this is every job's path, and Establish stores it last, under state_mu_, after
// slot_, the anchor and the login, so seeing it equal to the module's generation means those are done. A
// stale read only sends the worker into Establish, which takes state_mu_ and checks again (single
// flight). Everything else Establish and Relogin write (fatal_, slot_) is read under state_mu_: Relogin
// may reset generation_ to 0 and another worker re-establish while this one opens its session.
void Pool::EnsureReady(WorkerSession &ws) {
  ThrowIfFatal();
  if (generation_ != module_->generation()) Establish();
  ThrowIfFatal();
  if (ws.generation == generation_ && !ws.recycle && ws.handle != 0) return;
  auto *fl = module_->fl();
  CK_SLOT_ID slot = this->slot();
  // A handle from before a reinitialisation died with it, and its number may already name another
  // worker's new session: close only handles of this library generation (errors ignored).
  if (ws.handle != 0 && ws.module_generation == module_->generation()) fl->C_CloseSession(ws.handle);
  ws.handle = 0;
  ws.ahead.Forget();
  CK_SESSION_HANDLE h = 0;
  Check(fl->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h), "C_OpenSession");
  ws.handle = h;
  ws.generation = generation_;
  ws.module_generation = module_->generation();
  ws.recycle = false;
}

void Pool::ThrowIfFatal() {
  std::lock_guard<std::mutex> lock(state_mu_);
  if (fatal_) throw *fatal_;
}

// Single-flight: the first worker to notice a new module generation re-selects the token (its slot id
// may have changed), opens the anchor session and logs in; the others find it done.
void Pool::Establish() {
  std::lock_guard<std::mutex> lock(state_mu_);
  uint64_t target = module_->generation();
  if (generation_ == target || fatal_) return;
  auto *fl = module_->fl();
  TokenSummary token = SelectToken(fl, selector_);
  if (anchor_ != 0 && anchor_generation_ == target) fl->C_CloseSession(anchor_);  // as in EnsureReady
  anchor_ = 0;
  CK_SESSION_HANDLE h = 0;
  Check(fl->C_OpenSession(token.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h), "C_OpenSession");
  anchor_ = h;
  anchor_generation_ = target;
  slot_ = token.slot;
  max_sessions_ = token.max_sessions;
  std::string token_id = token.serial + "/" + token.label;
  try {
    if (Login(fl, anchor_, pin_)) {
      module_->RememberPin(token_id, pin_);
    } else {
      module_->CheckPin(token_id, pin_);
    }
  } catch (const Pkcs11Failure &f) {
    if (RecoveryOf(f.rv) == Recovery::Fatal) fatal_ = std::make_unique<Pkcs11Failure>(f);
    throw;
  }
  generation_ = target;
  login_epoch_++;
}

// Single-flight re-login after CKR_USER_NOT_LOGGED_IN: only the first worker with a given epoch logs in.
void Pool::Relogin(uint64_t seen_epoch) {
  SharedGuard gate(module_->gate());
  std::lock_guard<std::mutex> lock(state_mu_);
  if (login_epoch_ != seen_epoch || fatal_) return;
  auto *fl = module_->fl();
  try {
    Login(fl, anchor_, pin_);
  } catch (const Pkcs11Failure &f) {
    if (RecoveryOf(f.rv) == Recovery::Fatal) {
      fatal_ = std::make_unique<Pkcs11Failure>(f);
      return;
    }
    // The anchor itself may be gone: force a full re-establishment on the next attempt.
    generation_ = 0;
    return;
  }
  login_epoch_++;
}

}  // namespace hsm
