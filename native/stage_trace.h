// Optional per-job timestamps for the stage breakdown of one sign round trip (bench/addon-sign.ts
// --stages). Off unless enabled from JS: then one relaxed load per stage, nothing else.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace hsm {

enum class Stage { Call, Queued, Dequeued, SignInit, Signed, Verified, HandOver, Delivered, Resolved, Count };
constexpr int kStageCount = static_cast<int>(Stage::Count);

// steady_clock is CLOCK_MONOTONIC with libstdc++, the clock of process.hrtime.bigint() (uv_hrtime).
inline int64_t MonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct StageTrace {
  static std::atomic<bool> enabled;
  int64_t at[kStageCount] = {};
  void Mark(Stage s) {
    if (enabled.load(std::memory_order_relaxed)) at[static_cast<int>(s)] = MonotonicNs();
  }
};

// JS thread: the stamps of the last sign job settled while tracing was on.
StageTrace &LastSignTrace();

}  // namespace hsm
