#include "stage_trace.h"

namespace hsm {

std::atomic<bool> StageTrace::enabled{false};

StageTrace &LastSignTrace() {
  static StageTrace last;
  return last;
}

}  // namespace hsm
