// An exclusive lock on an open file that the kernel drops when the descriptor is closed, however the
// process ends (kill -9, OOM kill): what the watermark directory lock needs and Node does not offer.
#pragma once

#include <napi.h>

namespace hsm {

// Adds lockFile(fd) -> boolean to the addon's exports.
void RegisterFileLock(Napi::Env env, Napi::Object exports);

}  // namespace hsm
