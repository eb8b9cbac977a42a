// The worker threads of a pool: each owns one session and takes jobs from the pool's shared queue.
#include <sched.h>

#include <chrono>

#include "session_pool.h"

namespace hsm {

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
  job->trace.Mark(Stage::Queued);
  return true;
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

bool Pool::JsStarved() const {
  auto since = std::chrono::steady_clock::now().time_since_epoch().count() - last_settled_.load();
  return std::chrono::steady_clock::duration(since) >= kJsStarved;
}

void Pool::WorkerLoop(size_t index) {
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
    job->trace.Mark(Stage::Dequeued);
    Execute(*job, ws);
    if (job->failure) errors_++;
    if (done.empty()) first_done = std::chrono::steady_clock::now();
    done.push_back(job);
    bool more, arm;
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      more = !queue_.empty() && !stop_;
      arm = sign_ahead_ && queue_.empty() && !stop_;
      busy_--;
      if (busy_ == 0 && queue_.empty()) idle_cv_.notify_all();
    }
    // Close() joins this thread before returning, so a batch handed over here is never lost.
    if (!more || done.size() >= kMaxBatch || std::chrono::steady_clock::now() - first_done >= kMaxBatchDelay) {
      if (StageTrace::enabled.load(std::memory_order_relaxed)) {
        for (Job *j : done) j->trace.Mark(Stage::HandOver);
      }
      sink_(std::move(done));
      done.clear();
      // The hand-over woke the JS thread. When every core runs a worker it may wait for the end of a time
      // slice before it settles anything or runs its timers (event-loop lag p99 1.7 ms on 2 cores): if it
      // looks starved, offer it this core now. Not at every hand-over: each extra wake-up of the JS thread
      // costs more CPU than it settles (bench/hsm.ts, docs/hsm.md).
      if (more && JsStarved()) sched_yield();
    }
    // Nothing queued: prepare the next sign while idle (after the hand-over, off the result's path).
    if (arm) ArmAhead(ws);
  }
}

void Pool::ArmAhead(WorkerSession &ws) {
  if (outage_.down()) return;  // nothing to prepare on a token that is gone; the probe starts afresh
  SharedGuard gate(module_->gate());
  if (ws.handle == 0 || ws.recycle || ws.generation != generation_ || generation_ != module_->generation()) return;
  ws.ahead.Arm(module_->fl(), ws.handle);
}

}  // namespace hsm
