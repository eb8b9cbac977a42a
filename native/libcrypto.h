// The process's own libcrypto, reached by symbol name: the addon links no OpenSSL of its own, and the
// node executable's OpenSSL comes first in the global scope, before any libcrypto a vendor PKCS#11
// library may have loaded.
#pragma once

#include <dlfcn.h>

namespace hsm {

// Sets `fn` to the global symbol `name`; false when this process has none.
template <typename F>
bool ResolveLibcrypto(F &fn, const char *name) {
  fn = reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
  return fn != nullptr;
}

}  // namespace hsm
