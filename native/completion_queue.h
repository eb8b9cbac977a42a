// Finished jobs on their way from the pool's threads to the JS thread. A job is pushed the moment it is
// done, so no result waits for another job; the JS thread is woken only by the push that finds the
// queue empty, and takes everything pushed until it runs: under load, results arrive in batches without
// any thread holding one back.
#pragma once

#include <mutex>
#include <vector>

#include "job.h"

namespace hsm {

class CompletionQueue {
 public:
  // True when the caller must wake the JS thread (nothing was waiting to be taken).
  bool Push(Job *job) {
    std::lock_guard<std::mutex> lock(mu_);
    ready_.push_back(job);
    if (wake_pending_) return false;
    wake_pending_ = true;
    return true;
  }
  // JS thread: everything pushed so far; the next Push wakes it again.
  std::vector<Job *> Take() {
    std::vector<Job *> out;
    std::lock_guard<std::mutex> lock(mu_);
    out.swap(ready_);
    wake_pending_ = false;
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<Job *> ready_;
  bool wake_pending_ = false;
};

}  // namespace hsm
