// The worker threads of a pool: each owns one session and takes jobs from the pool's shared queue.
#include <sched.h>

#include <chrono>

#include "session_pool.h"

namespace hsm {

void Pool::Start(CompletionSink sink) {
  sink_ = std::move(sink);
  std::lock_guard<std::mutex> lock(queue_mu_);
  for (auto &w : workers_) w.thread = std::thread(&Pool::WorkerLoop, this, &w);
  watchdog_ = std::thread(&Pool::WatchdogLoop, this);
}

Pool::SubmitResult Pool::Submit(Job *job) {
  bool wake_watchdog;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (stop_ || closing_) return SubmitResult::Closed;
    // A full queue would only make every caller wait longer than its deadline: refuse now, so that the
    // client retries elsewhere while it still can.
    if (queue_.size() >= max_queue_) {
      queue_full_++;
      return SubmitResult::Full;
    }
    queue_.push_back(job);
    wake_watchdog = job->deadline < watch_until_;
    if (wake_watchdog) watch_until_ = job->deadline;
  }
  queue_cv_.notify_one();
  if (wake_watchdog) watchdog_cv_.notify_one();
  job->trace.Mark(Stage::Queued);
  return SubmitResult::Taken;
}

void Pool::StopWorkers(bool drop_queued) {
  std::deque<Job *> dropped;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stop_ = true;
    if (drop_queued) dropped.swap(queue_);
  }
  queue_cv_.notify_all();
  watchdog_cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  // A set-aside worker is still inside the vendor library: it is joined when its call returns.
  for (auto &w : workers_) {
    if (w.thread.joinable()) w.thread.join();
  }
  for (Job *j : dropped) delete j;  // exit path: their promises can no longer be settled
  verify_tables_->Stop();           // a table build in progress ends before the pool (and OpenSSL) go
}

bool Pool::JsStarved() const {
  auto since = std::chrono::steady_clock::now().time_since_epoch().count() - last_settled_.load();
  return std::chrono::steady_clock::duration(since) >= kJsStarved;
}

void Pool::WorkerLoop(Worker *w) {
  for (;;) {
    Job *job;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) {  // stopping and nothing left
        w->exited = true;
        return;
      }
      job = queue_.front();
      queue_.pop_front();
      if (job->deadline <= std::chrono::steady_clock::now()) {
        // Its caller has been answered or is about to be: never start a call nobody waits for.
        job->timed_out = true;
        timeouts_++;
        if (busy_ == 0 && queue_.empty()) idle_cv_.notify_all();
        lock.unlock();
        sink_(job);
        continue;
      }
      w->current = job;
      busy_++;
    }
    job->trace.Mark(Stage::Dequeued);
    Execute(*job, w->ws);
    bool more, arm, aside, leave, wake_watchdog = false;
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      w->current = nullptr;
      aside = w->set_aside;
      leave = aside && w->replaced;
      if (aside) {
        // The watchdog answered this job and took it out of busy_. Without a replacement this worker
        // rejoins the pool, on a fresh session: its call ended in an unknown state.
        w->set_aside = false;
        set_aside_live_--;
        w->ws.recycle = true;
      } else {
        busy_--;
      }
      more = !queue_.empty() && !stop_;
      arm = sign_ahead_ && queue_.empty() && !stop_ && !leave;
      if (arm && job->budget.count() > 0) {
        // Read before the hand-over (which may free the job). The watchdog usually watches this job's
        // own deadline still, which is earlier: then it needs no wake-up to see this one.
        w->preparing_until = std::chrono::steady_clock::now() + job->budget;
        wake_watchdog = w->preparing_until < watch_until_;
        if (wake_watchdog) watch_until_ = w->preparing_until;
      }
      if (busy_ == 0 && queue_.empty()) idle_cv_.notify_all();
    }
    if (wake_watchdog) watchdog_cv_.notify_one();
    if (aside) {
      if (job->Drop()) delete job;  // late result: never handed over, so never a mark
    } else {
      if (job->failure) errors_++;
      if (StageTrace::enabled.load(std::memory_order_relaxed)) job->trace.Mark(Stage::HandOver);
      // Close() joins this thread before returning, so a job handed over here is never lost.
      sink_(job);
      // The hand-over woke the JS thread. When every core runs a worker it may wait for the end of a time
      // slice before it settles anything or runs its timers: if it looks starved, offer it this core now.
      if (more && JsStarved()) sched_yield();
    }
    if (leave) {
      RetireSession(w->ws);
      std::lock_guard<std::mutex> lock(queue_mu_);
      w->exited = true;
      return;
    }
    // Nothing queued: prepare the next sign while idle (after the hand-over, off the result's path). The
    // hand-over just woke the JS thread, often onto this core: let it run before C_SignInit takes the core.
    if (!arm) continue;
    sched_yield();
    ArmAhead(w->ws);
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      w->preparing_until = std::chrono::steady_clock::time_point::max();
      aside = w->set_aside;
      leave = aside && w->replaced;
      if (aside) {  // the watchdog gave up on that C_SignInit: as after a job set aside, above
        w->set_aside = false;
        set_aside_live_--;
        w->ws.recycle = true;
      }
    }
    if (leave) {
      RetireSession(w->ws);
      std::lock_guard<std::mutex> lock(queue_mu_);
      w->exited = true;
      return;
    }
  }
}

void Pool::RetireSession(WorkerSession &ws) {
  SharedGuard gate(module_->gate());
  if (ws.handle != 0 && ws.generation == module_->generation()) module_->fl()->C_CloseSession(ws.handle);
  ws.handle = 0;
  ws.ahead.Forget();
}

void Pool::ArmAhead(WorkerSession &ws) {
  if (outage_.down()) return;  // nothing to prepare on a token that is gone; the probe starts afresh
  SharedGuard gate(module_->gate());
  if (ws.handle == 0 || ws.recycle || ws.generation != generation_ || generation_ != module_->generation()) return;
  ws.ahead.Arm(module_->fl(), ws.handle);
}

}  // namespace hsm
