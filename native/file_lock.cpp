#include "file_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "args.h"
#include "errors.h"
#include "jobs.h"

namespace hsm {

namespace {

// lockFile(fd) -> true when this open file description now holds a write lock on the whole file, false
// when another one holds it. An open file description lock (fcntl(2) F_OFD_SETLK) rather than a POSIX
// record lock: it belongs to the description, not to the process, so closing any other descriptor of the
// same file (Node's fs does) does not release it, and it is not shared with children. F_OFD_SETLK never
// waits, so the call runs on the JS thread.
Napi::Value JsLockFile(const Napi::CallbackInfo &info) {
  CheckArgs(info, "lockFile", {Arg::Number});
  int fd = info[0].As<Napi::Number>().Int32Value();
#ifdef F_OFD_SETLK
  struct flock fl;
  std::memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;  // to the end of the file, however long it grows
  const char *fn = "fcntl(F_OFD_SETLK)";
  int rc = fcntl(fd, F_OFD_SETLK, &fl);
#else
  // Without OFD locks (not Linux), flock(2) is also bound to the open file description.
  const char *fn = "flock";
  int rc = flock(fd, LOCK_EX | LOCK_NB);
#endif
  if (rc == 0) return Napi::Boolean::New(info.Env(), true);
  int err = errno;
  if (err == EAGAIN || err == EACCES || err == EWOULDBLOCK) return Napi::Boolean::New(info.Env(), false);
  Pkcs11Failure f("ERR_FILE_LOCK", fn, std::string(fn) + " failed: " + std::strerror(err));
  throw Napi::Error(info.Env(), ToJsError(info.Env(), f));
}

}  // namespace

void RegisterFileLock(Napi::Env env, Napi::Object exports) {
  exports.Set("lockFile", Napi::Function::New(env, JsLockFile));
}

}  // namespace hsm
