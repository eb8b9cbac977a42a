// The pool's watchdog: answers jobs whose deadline passed, and sets aside a session stuck in a call so
// that the pool keeps its size. It sleeps until the earliest deadline in flight, and without a deadline
// while nothing is in flight: no periodic wake-up competes with the workers for the CPU.
#include <algorithm>

#include "session_pool.h"

namespace hsm {

void Pool::WatchdogLoop() {
  std::vector<Job *> answered;
  std::unique_lock<std::mutex> lock(queue_mu_);
  while (!stop_) {
    watch_until_ = ExpireLocked(answered);
    if (!answered.empty()) {
      lock.unlock();
      for (Job *j : answered) sink_(j);
      answered.clear();
      lock.lock();
      continue;  // Submit may have lowered watch_until_ meanwhile: recompute
    }
    if (watch_until_ == std::chrono::steady_clock::time_point::max()) {
      watchdog_cv_.wait(lock);
    } else {
      watchdog_cv_.wait_until(lock, watch_until_);
    }
  }
}

std::chrono::steady_clock::time_point Pool::ExpireLocked(std::vector<Job *> &answered) {
  auto now = std::chrono::steady_clock::now();
  auto next = std::chrono::steady_clock::time_point::max();
  // Queued jobs past their deadline are answered without ever reaching the token.
  for (auto it = queue_.begin(); it != queue_.end();) {
    Job *j = *it;
    if (j->deadline <= now) {
      j->timed_out = true;
      timeouts_++;
      answered.push_back(j);
      it = queue_.erase(it);
    } else {
      next = std::min(next, j->deadline);
      ++it;
    }
  }
  for (auto &w : workers_) {
    Job *j = w.current;
    if (w.set_aside) continue;
    if (j == nullptr) {
      if (w.preparing_until == std::chrono::steady_clock::time_point::max()) continue;
      if (w.preparing_until > now) {
        next = std::min(next, w.preparing_until);
        continue;
      }
      // A C_SignInit run ahead that outlived a request's budget: no one to answer, a session to replace.
      w.preparing_until = std::chrono::steady_clock::time_point::max();
      SetAsideLocked(w);
      continue;
    }
    if (j->deadline > now) {
      next = std::min(next, j->deadline);
      continue;
    }
    // The worker cannot hand this job over before it takes queue_mu_ (held here), and will then see
    // set_aside: the job is answered once, here, and the late result dropped by the worker.
    j->timed_out = true;
    j->holders++;
    timeouts_++;
    answered.push_back(j);
    busy_--;
    SetAsideLocked(w);
  }
  if (busy_ == 0 && queue_.empty()) idle_cv_.notify_all();
  return next;
}

void Pool::SetAsideLocked(Worker &w) {
  w.set_aside = true;
  set_aside_live_++;
  // Bounded: at most session_count_ stuck sessions are replaced; beyond that the pool shrinks until
  // one returns (it then rejoins on a fresh session, worker.cpp).
  if (set_aside_live_ > session_count_ || stop_) return;
  w.replaced = true;
  replaced_++;
  StartWorkerLocked();
}

void Pool::StartWorkerLocked() {
  // Reap workers that were replaced and have since returned from their call.
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->exited && it->replaced) {
      if (it->thread.joinable()) it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
  workers_.emplace_back();
  Worker &fresh = workers_.back();
  fresh.ws.recycle = true;  // opens its own session on its first job (Execute → EnsureReady)
  fresh.thread = std::thread(&Pool::WorkerLoop, this, &fresh);
}

}  // namespace hsm
