// What one Node environment (the main thread or a worker_thread) holds of the addon. Each environment
// that loads the addon gets its own, freed by Node when that environment ends: a JS reference is only
// valid in the environment that made it, so none may live in a static.
#pragma once

#include <napi.h>

namespace hsm {

struct AddonData {
  Napi::FunctionReference error_class;  // setErrorClass; empty until then (ToJsError falls back to Error)
  Napi::FunctionReference pool_handle;  // the PoolHandle constructor

  static AddonData &Of(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }
};

}  // namespace hsm
