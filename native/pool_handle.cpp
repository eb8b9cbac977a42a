#include "pool_handle.h"

#include "addon_data.h"
#include "aes.h"
#include "args.h"
#include "jobs.h"
#include "mechanisms.h"
#include "probe.h"
#include "promise_worker.h"

namespace hsm {

namespace {
// A refusal the client should retry (another replica, or this one a moment later): recovery 'retry'.
Pkcs11Failure Unavailable(const char *code, const char *fn, const char *message) {
  Pkcs11Failure f(code, fn, message);
  f.recovery = Recovery::Retry;
  return f;
}

}  // namespace

// Drains the pool on a libuv thread; releases the completion channel only once no worker can use it.
class PoolHandle::CloseWorker : public PromiseWorker {
 public:
  CloseWorker(Napi::Env env, PoolHandle *handle)
      : PromiseWorker(env, "close"),
        handle_(handle),
        keep_(Napi::Persistent(handle->Value())),
        pool_(std::move(handle->pool_)) {}

 private:
  void Run() override {
    if (pool_) pool_->Close();
  }
  // Either way no worker is left to use the channel: Close joined them, or Abort (the pool's destructor) does.
  void Finish(Napi::Env env) override {
    pool_.reset();
    handle_->ReleaseChannel(env);
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

  PoolHandle *handle_;
  Napi::ObjectReference keep_;
  std::shared_ptr<Pool> pool_;
};

Napi::Function PoolHandle::Define(Napi::Env env) {
  Napi::Function cls = DefineClass(
      env, "PoolHandle",
      {InstanceMethod("keys", &PoolHandle::Keys), InstanceMethod("sign", &PoolHandle::Sign),
       InstanceMethod("generate", &PoolHandle::Generate), InstanceMethod("ping", &PoolHandle::Ping),
       InstanceMethod("aesGenerate", &PoolHandle::AesGenerate), InstanceMethod("aesCrypt", &PoolHandle::AesCrypt),
       InstanceMethod("aesModes", &PoolHandle::AesModes), InstanceMethod("mechanisms", &PoolHandle::Mechanisms),
       InstanceMethod("tokenInfo", &PoolHandle::TokenInfo), InstanceMethod("probe", &PoolHandle::Probe),
       InstanceMethod("stats", &PoolHandle::Stats), InstanceMethod("close", &PoolHandle::Close)});
  AddonData::Of(env).pool_handle = Napi::Persistent(cls);
  return cls;
}

Napi::Object PoolHandle::Wrap(Napi::Env env, std::shared_ptr<Pool> pool) {
  Napi::Object obj = AddonData::Of(env).pool_handle.New({});
  Unwrap(obj)->Start(env, std::move(pool));
  return obj;
}

PoolHandle::PoolHandle(const Napi::CallbackInfo &info) : Napi::ObjectWrap<PoolHandle>(info) {}

void PoolHandle::Start(Napi::Env env, std::shared_ptr<Pool> pool) {
  pool_ = std::move(pool);
  napi_value name;
  napi_create_string_utf8(env, "tezos-hsm-signer pool", NAPI_AUTO_LENGTH, &name);
  napi_status st = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, this,
                                                   &PoolHandle::Deliver, &tsfn_);
  if (st != napi_ok) throw Napi::Error::New(env, "cannot create the pool's completion channel");
  napi_unref_threadsafe_function(env, tsfn_);  // referenced only while jobs are in flight
  napi_add_env_cleanup_hook(env, &PoolHandle::AtExit, this);
  napi_threadsafe_function tsfn = tsfn_;
  // The handle outlives every call: Close() and Abort() join the pool's threads before it goes.
  pool_->Start([this, tsfn](Job *job) {
    if (!completions_.Push(job)) return;  // a wake-up is already on its way and will take this job too
    // Fails only while the environment is being torn down; Deliver then never runs for these jobs.
    if (napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_nonblocking) != napi_ok) {
      for (Job *j : completions_.Take()) {
        if (j->Drop()) delete j;
      }
    }
  });
}

PoolHandle::~PoolHandle() { Shutdown(); }

// Exit or garbage collection without close(): stop threads and close sessions synchronously.
void PoolHandle::Shutdown() {
  if (pool_) {
    pool_->Abort();
    pool_.reset();
  }
  ReleaseChannel(Env());
}

void PoolHandle::ReleaseChannel(Napi::Env env) {
  if (tsfn_ == nullptr) return;
  napi_remove_env_cleanup_hook(env, &PoolHandle::AtExit, this);
  napi_release_threadsafe_function(tsfn_, napi_tsfn_release);  // queued completions are still delivered
  tsfn_ = nullptr;
}

void PoolHandle::AtExit(void *self) {
  auto *h = static_cast<PoolHandle *>(self);
  if (h->pool_) h->pool_->Abort();
  h->pool_.reset();
  h->tsfn_ = nullptr;  // Node releases thread-safe functions itself at teardown
}

void PoolHandle::Deliver(napi_env env, napi_value, void *context, void *) {
  auto *self = static_cast<PoolHandle *>(context);
  if (self->pool_) self->pool_->MarkSettled();
  for (Job *j : self->completions_.Take()) {
    auto *job = static_cast<PromiseJob *>(j);
    if (env != nullptr) self->Settle(Napi::Env(env), job);
    if (job->Drop()) delete job;  // a timed-out job may still be inside its call: its worker drops it then
  }
}

void PoolHandle::Settle(Napi::Env env, PromiseJob *job) {
  Napi::HandleScope scope(env);
  try {
    if (job->timed_out.load()) {
      // Only the deadline is read: a worker may still be writing the job's result and failure.
      job->Reject(env, Unavailable("ERR_HSM_TIMEOUT", "deadline", "the HSM did not answer before the deadline"));
    } else {
      job->trace.Mark(Stage::Delivered);
      job->Complete(env);
      job->trace.Mark(Stage::Resolved);
      if (job->trace.at[static_cast<int>(Stage::Signed)] != 0) LastSignTrace() = job->trace;
    }
  } catch (const Napi::Error &) {
    // settling a promise cannot fail short of teardown
  }
  if (--inflight_ == 0) {
    if (tsfn_ != nullptr) napi_unref_threadsafe_function(env, tsfn_);
    Unref();  // taken in Submit: the handle outlives its in-flight jobs
  }
}

Napi::Value PoolHandle::Submit(Napi::Env env, PromiseJob *job, double timeout_ms) {
  Napi::Promise promise = job->promise();
  if (timeout_ms > 0) {
    job->budget = std::chrono::microseconds(static_cast<int64_t>(timeout_ms * 1000));
    job->deadline = std::chrono::steady_clock::now() + job->budget;
  }
  Pool::SubmitResult taken = closed_ || !pool_ ? Pool::SubmitResult::Closed : pool_->Submit(job);
  if (taken != Pool::SubmitResult::Taken) {
    if (taken == Pool::SubmitResult::Full) {
      job->Reject(env, Unavailable("ERR_HSM_BUSY", "submit", "the HSM queue is full"));
    } else {
      job->Reject(env, Pkcs11Failure("ERR_HSM_CLOSED", "submit", "the HSM pool is closed"));
    }
    delete job;
    return promise;
  }
  if (inflight_++ == 0) {
    napi_ref_threadsafe_function(env, tsfn_);
    Ref();
  }
  return promise;
}

Napi::Value PoolHandle::Keys(const Napi::CallbackInfo &info) { return Submit(info.Env(), new KeysJob(info.Env())); }

// sign(ref: number, mechanism: number, data: Uint8Array, timeoutMs: number). Arguments are checked in
// src/hsm/hsm.ts.
Napi::Value PoolHandle::Sign(const Napi::CallbackInfo &info) {
  StageTrace call;
  call.Mark(Stage::Call);
  CheckArgs(info, "sign", {Arg::Number, Arg::Number, Arg::Bytes, Arg::Number});
  auto data = info[2].As<Napi::Uint8Array>();
  auto *job = new SignJob(info.Env(), info[0].As<Napi::Number>().Int32Value(),
                          static_cast<CK_MECHANISM_TYPE>(info[1].As<Napi::Number>().Int64Value()), data.Data(),
                          data.ByteLength());
  job->trace = call;  // stamped before the arguments were copied
  return Submit(info.Env(), job, info[3].As<Napi::Number>().DoubleValue());
}

// generate(curve: 'p256'|'secp256k1'|'ed25519', label: string, id: Uint8Array)
Napi::Value PoolHandle::Generate(const Napi::CallbackInfo &info) {
  CheckArgs(info, "generate", {Arg::String, Arg::String, Arg::Bytes});
  auto id = info[2].As<Napi::Uint8Array>();
  auto *job = new GenerateJob(info.Env(), info[0].As<Napi::String>().Utf8Value(),
                              info[1].As<Napi::String>().Utf8Value(), Bytes(id.Data(), id.Data() + id.ByteLength()));
  return Submit(info.Env(), job);
}

// aesGenerate(label: string, mode: 0 | 1) / aesCrypt(mode, encrypt: boolean, label: string, iv, aad, input:
// Uint8Array) / aesModes(): native/aes.h (mode: AesMode, 0 = GCM, 1 = CBC + HMAC).
Napi::Value PoolHandle::AesGenerate(const Napi::CallbackInfo &info) {
  CheckArgs(info, "aesGenerate", {Arg::String, Arg::Number});
  return Submit(info.Env(), new AesGenerateJob(info.Env(), info[0].As<Napi::String>().Utf8Value(),
                                               static_cast<AesMode>(info[1].As<Napi::Number>().Int32Value())));
}

Napi::Value PoolHandle::AesCrypt(const Napi::CallbackInfo &info) {
  CheckArgs(info, "aesCrypt", {Arg::Number, Arg::Boolean, Arg::String, Arg::Bytes, Arg::Bytes, Arg::Bytes});
  auto bytes = [](Napi::Value v) {
    auto a = v.As<Napi::Uint8Array>();
    return Bytes(a.Data(), a.Data() + a.ByteLength());
  };
  return Submit(info.Env(), new AesCryptJob(info.Env(), static_cast<AesMode>(info[0].As<Napi::Number>().Int32Value()),
                                            info[1].As<Napi::Boolean>().Value(), info[2].As<Napi::String>().Utf8Value(),
                                            bytes(info[3]), bytes(info[4]), bytes(info[5])));
}

Napi::Value PoolHandle::AesModes(const Napi::CallbackInfo &info) {
  return Submit(info.Env(), new AesModesJob(info.Env()));
}

Napi::Value PoolHandle::Mechanisms(const Napi::CallbackInfo &info) {
  return Submit(info.Env(), new MechanismsJob(info.Env()));
}

Napi::Value PoolHandle::TokenInfo(const Napi::CallbackInfo &info) {
  return Submit(info.Env(), new TokenInfoJob(info.Env()));
}

// probe(curve: 'p256'|'secp256k1'|'ed25519', count: number): native/probe.h.
Napi::Value PoolHandle::Probe(const Napi::CallbackInfo &info) {
  CheckArgs(info, "probe", {Arg::String, Arg::Number});
  return Submit(info.Env(), new ProbeJob(info.Env(), info[0].As<Napi::String>().Utf8Value(),
                                         info[1].As<Napi::Number>().Uint32Value()));
}

// ping(timeoutMs: number)
Napi::Value PoolHandle::Ping(const Napi::CallbackInfo &info) {
  CheckArgs(info, "ping", {Arg::Number});
  return Submit(info.Env(), new PingJob(info.Env()), info[0].As<Napi::Number>().DoubleValue());
}

Napi::Value PoolHandle::Stats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  PoolStats s = pool_ ? pool_->Stats() : PoolStats{};
  o.Set("sessions", static_cast<double>(s.sessions));
  o.Set("busy", static_cast<double>(s.busy));
  o.Set("idle", static_cast<double>(s.sessions - s.busy));
  o.Set("queued", static_cast<double>(s.queued));
  o.Set("recycled", static_cast<double>(s.recycled));
  o.Set("signs", static_cast<double>(s.signs));
  o.Set("signsAhead", static_cast<double>(s.signs_ahead));
  o.Set("verifyTables", static_cast<double>(s.verify_tables));
  o.Set("verifyTableChecks", static_cast<double>(s.verify_table_checks));
  o.Set("errors", static_cast<double>(s.errors));
  o.Set("timeouts", static_cast<double>(s.timeouts));
  o.Set("queueFull", static_cast<double>(s.queue_full));
  o.Set("replaced", static_cast<double>(s.replaced));
  o.Set("setAside", static_cast<double>(s.set_aside));
  o.Set("maxQueue", static_cast<double>(s.max_queue));
  o.Set("unavailable", s.unavailable);
  o.Set("outages", static_cast<double>(s.outages));
  return o;
}

// Drains in-flight work off the JS thread, then closes sessions and finalizes when we own the library.
Napi::Value PoolHandle::Close(const Napi::CallbackInfo &info) {
  closed_ = true;
  return (new CloseWorker(info.Env(), this))->Start();
}

}  // namespace hsm
