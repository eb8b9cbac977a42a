// Node-API entry points. Argument validation lives in src/hsm/ (TypeScript); here a misuse is a TypeError.
#include <napi.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "addon_data.h"
#include "args.h"
#include "digest.h"
#include "ec_point.h"
#include "file_lock.h"
#include "jobs.h"
#include "module_loader.h"
#include "pool_handle.h"
#include "promise_worker.h"
#include "session_pool.h"
#include "stage_trace.h"
#include "token.h"
#include "verify.h"
#include "verify_p256.h"

namespace hsm {

namespace {

Napi::Object SlotToJs(Napi::Env env, const TokenSummary &t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("slot", Napi::BigInt::New(env, static_cast<uint64_t>(t.slot)));
  o.Set("label", t.label);
  o.Set("serial", t.serial);
  o.Set("manufacturer", t.manufacturer);
  o.Set("model", t.model);
  o.Set("initialized", (t.flags & CKF_TOKEN_INITIALIZED) != 0);
  o.Set("pinCountLow", (t.flags & CKF_USER_PIN_COUNT_LOW) != 0);
  o.Set("pinFinalTry", (t.flags & CKF_USER_PIN_FINAL_TRY) != 0);
  o.Set("pinLocked", (t.flags & CKF_USER_PIN_LOCKED) != 0);
  return o;
}

// Non-hot-path work (load, list, open) runs on libuv's pool, never on the JS thread.
class SlotsWorker : public PromiseWorker {
 public:
  SlotsWorker(Napi::Env env, std::string library) : PromiseWorker(env, "listSlots"), library_(std::move(library)) {}

 private:
  void Run() override {
    auto module = Module::Acquire(library_);
    SharedGuard gate(module->gate());
    tokens_ = ListTokens(module->fl());
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Array out = Napi::Array::New(env, tokens_.size());
    for (size_t i = 0; i < tokens_.size(); i++) out.Set(i, SlotToJs(env, tokens_[i]));
    return out;
  }

  std::string library_;
  std::vector<TokenSummary> tokens_;
};

class OpenWorker : public PromiseWorker {
 public:
  OpenWorker(Napi::Env env, std::string library, TokenSelector sel, std::string pin, PoolOptions options)
      : PromiseWorker(env, "open"),
        library_(std::move(library)),
        sel_(std::move(sel)),
        pin_(std::move(pin)),
        options_(options) {}

 private:
  void Run() override {
    struct Wipe {  // the PIN leaves memory however the open ends
      std::string &pin;
      ~Wipe() { std::fill(pin.begin(), pin.end(), '\0'); }
    } wipe{pin_};
    pool_ = Pool::Open(library_, sel_, pin_, options_);
  }
  Napi::Value Result(Napi::Env env) override { return PoolHandle::Wrap(env, std::move(pool_)); }

  std::string library_;
  TokenSelector sel_;
  std::string pin_;
  PoolOptions options_;
  std::shared_ptr<Pool> pool_;
};

Napi::Value JsSetErrorClass(const Napi::CallbackInfo &info) {
  CheckArgs(info, "setErrorClass", {Arg::Function});
  SetErrorClass(info.Env(), info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value JsListSlots(const Napi::CallbackInfo &info) {
  CheckArgs(info, "listSlots", {Arg::String});
  return (new SlotsWorker(info.Env(), info[0].As<Napi::String>().Utf8Value()))->Start();
}

// open({ library, selector: 'label'|'serial'|'slot', value: string | bigint, pin, sessions, signAhead,
//        verifySignatures, maxQueue })
Napi::Value JsOpen(const Napi::CallbackInfo &info) {
  CheckArgs(info, "open", {Arg::Object});
  Napi::Object o = info[0].As<Napi::Object>();
  std::string kind = o.Get("selector").IsString() ? o.Get("selector").As<Napi::String>().Utf8Value() : "";
  bool ok = (kind == "slot" ? IsArg(o.Get("value"), Arg::BigInt)
                            : (kind == "label" || kind == "serial") && IsArg(o.Get("value"), Arg::String)) &&
            IsArg(o.Get("library"), Arg::String) && IsArg(o.Get("pin"), Arg::String) &&
            IsArg(o.Get("sessions"), Arg::Number) && IsArg(o.Get("maxQueue"), Arg::Number) &&
            IsArg(o.Get("verifyTables"), Arg::Number);
  if (!ok) throw Napi::TypeError::New(info.Env(), "open: options of the wrong shape");
  TokenSelector sel;
  if (kind == "slot") {
    bool lossless = true;
    sel.kind = TokenSelector::Kind::Slot;
    sel.slot = o.Get("value").As<Napi::BigInt>().Uint64Value(&lossless);
  } else {
    sel.kind = kind == "serial" ? TokenSelector::Kind::Serial : TokenSelector::Kind::Label;
    sel.text = o.Get("value").As<Napi::String>().Utf8Value();
  }
  PoolOptions options;
  options.sessions = o.Get("sessions").As<Napi::Number>().Uint32Value();
  options.sign_ahead = o.Get("signAhead").ToBoolean().Value();
  options.verify_signatures = o.Get("verifySignatures").ToBoolean().Value();
  options.max_queue = o.Get("maxQueue").As<Napi::Number>().Uint32Value();
  options.verify_tables = o.Get("verifyTables").As<Napi::Number>().Uint32Value();
  auto *w = new OpenWorker(info.Env(), o.Get("library").As<Napi::String>().Utf8Value(), sel,
                           o.Get("pin").As<Napi::String>().Utf8Value(), options);
  return w->Start();
}

// parsePublicKey(keyType, ecParams, ecPoint) -> { curve, publicKey, error }: the decoder keys() uses.
Napi::Value JsParsePublicKey(const Napi::CallbackInfo &info) {
  CheckArgs(info, "parsePublicKey", {Arg::Number, Arg::Bytes, Arg::Bytes});
  Napi::Env env = info.Env();
  auto params = info[1].As<Napi::Uint8Array>();
  auto point = info[2].As<Napi::Uint8Array>();
  PublicKey k = ParsePublicKey(static_cast<CK_ULONG>(info[0].As<Napi::Number>().Int64Value()),
                               Bytes(params.Data(), params.Data() + params.ByteLength()),
                               Bytes(point.Data(), point.Data() + point.ByteLength()));
  Napi::Object o = Napi::Object::New(env);
  o.Set("curve", k.curve);
  o.Set("publicKey", Napi::Buffer<uint8_t>::Copy(env, k.point.data(), k.point.size()));
  o.Set("error", k.error);
  return o;
}

// ecdsaRawToDer(raw: Uint8Array) -> Buffer: the encoder native verification uses (tested against OpenSSL's).
Napi::Value JsEcdsaRawToDer(const Napi::CallbackInfo &info) {
  CheckArgs(info, "ecdsaRawToDer", {Arg::Bytes});
  auto raw = info[0].As<Napi::Uint8Array>();
  Bytes der = EcdsaRawToDer(raw.Data(), raw.ByteLength());
  return Napi::Buffer<uint8_t>::Copy(info.Env(), der.data(), der.size());
}

// verify(curve, publicKey, data, signature) -> boolean | null: the check a sign job runs after C_Sign
// (null when native verification is unavailable or the key is refused).
Napi::Value JsVerify(const Napi::CallbackInfo &info) {
  CheckArgs(info, "verify", {Arg::String, Arg::Bytes, Arg::Bytes, Arg::Bytes});
  auto point = info[1].As<Napi::Uint8Array>();
  auto data = info[2].As<Napi::Uint8Array>();
  auto sig = info[3].As<Napi::Uint8Array>();
  auto key =
      VerifyKey::Create(info[0].As<Napi::String>().Utf8Value(), Bytes(point.Data(), point.Data() + point.ByteLength()));
  if (key == nullptr) return info.Env().Null();
  return Napi::Boolean::New(info.Env(), key->Verify(data.Data(), data.ByteLength(), sig.Data(), sig.ByteLength()));
}

// verifyRepeat(curve, publicKey, data, signature, count) -> number | null: bench only (bench/verify.ts). The
// check a sign job runs, `count` times on one key parsed once as a key's first sign parses it; how many passed.
Napi::Value JsVerifyRepeat(const Napi::CallbackInfo &info) {
  CheckArgs(info, "verifyRepeat", {Arg::String, Arg::Bytes, Arg::Bytes, Arg::Bytes, Arg::Number});
  auto point = info[1].As<Napi::Uint8Array>();
  auto data = info[2].As<Napi::Uint8Array>();
  auto sig = info[3].As<Napi::Uint8Array>();
  int64_t count = info[4].As<Napi::Number>().Int64Value();
  auto key =
      VerifyKey::Create(info[0].As<Napi::String>().Utf8Value(), Bytes(point.Data(), point.Data() + point.ByteLength()));
  if (key == nullptr) return info.Env().Null();
  int64_t passed = 0;
  for (int64_t i = 0; i < count; i++)
    passed += key->Verify(data.Data(), data.ByteLength(), sig.Data(), sig.ByteLength());
  return Napi::Number::New(info.Env(), static_cast<double>(passed));
}

// Resident set size in bytes (/proc/self/statm, proc(5)); 0 when unreadable. Bench only.
double ResidentBytes() {
  long pages = 0, resident = 0;
  FILE *f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double ThreadCpuUs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// verifyKeys(curve, publicKeys, data, signatures, tables, rounds) -> { results, keysUs, checksUs, keysRss } | null:
// tests and benches (test/01-hsm-verify, bench/verify.ts). Checks signatures[i] over data[i] with key
// i mod publicKeys.length, `rounds` times over; each key parsed once as keys() registers it. `tables`: P-256
// keys through their table of multiples, built first (verify_p256.h), else as a key before its table.
// results: the last round's verdicts; keysUs and checksUs: this thread's CPU µs making the keys (tables
// included) and checking; keysRss: resident bytes gained while making them; tableChecks: checks that reached
// their verdict through a table. Null when a key is refused or a
// table cannot be built.
Napi::Value JsVerifyKeys(const Napi::CallbackInfo &info) {
  CheckArgs(info, "verifyKeys", {Arg::String, Arg::Array, Arg::Array, Arg::Array, Arg::Boolean, Arg::Number});
  Napi::Env env = info.Env();
  std::string curve = info[0].As<Napi::String>().Utf8Value();
  auto copy = [&](Napi::Value v) {
    if (!IsArg(v, Arg::Bytes)) throw Napi::TypeError::New(env, "verifyKeys: arrays of Uint8Array expected");
    auto b = v.As<Napi::Uint8Array>();
    return Bytes(b.Data(), b.Data() + b.ByteLength());
  };
  auto list = [&](Napi::Value v) {
    Napi::Array a = v.As<Napi::Array>();
    std::vector<Bytes> out;
    for (uint32_t i = 0; i < a.Length(); i++) out.push_back(copy(a.Get(i)));
    return out;
  };
  std::vector<Bytes> points = list(info[1]), data = list(info[2]), sigs = list(info[3]);
  int64_t rounds = info[5].As<Napi::Number>().Int64Value();
  if (points.empty() || data.size() != sigs.size() || rounds < 1) {
    throw Napi::TypeError::New(env, "verifyKeys: array lengths or rounds");
  }
  bool tables = info[4].As<Napi::Boolean>().Value();
  double rss = ResidentBytes();
  double t0 = ThreadCpuUs();
  auto store = tables ? std::make_shared<P256Tables>(points.size()) : nullptr;
  std::vector<std::shared_ptr<const VerifyKey>> keys;
  for (const Bytes &p : points) {
    if (store != nullptr && curve == "p256" && !store->BuildNow(p)) return env.Null();
    keys.push_back(VerifyKey::Create(curve, p, store));
    if (keys.back() == nullptr) return env.Null();
  }
  double t1 = ThreadCpuUs();
  rss = ResidentBytes() - rss;
  std::vector<bool> results(data.size());
  for (int64_t r = 0; r < rounds; r++) {
    for (size_t i = 0; i < data.size(); i++) {
      const Bytes &s = sigs[i];
      results[i] = keys[i % keys.size()]->Verify(data[i].data(), data[i].size(), s.data(), s.size());
    }
  }
  double t2 = ThreadCpuUs();
  Napi::Array out = Napi::Array::New(env, data.size());
  for (size_t i = 0; i < data.size(); i++) out.Set(i, Napi::Boolean::New(env, results[i]));
  Napi::Object o = Napi::Object::New(env);
  o.Set("results", out);
  o.Set("keysUs", t1 - t0);
  o.Set("checksUs", t2 - t1);
  o.Set("keysRss", rss);
  o.Set("tableChecks", store != nullptr ? static_cast<double>(store->checks()) : 0.0);
  return o;
}

// stageTrace(on) -> Float64Array: turns per-job timestamps on or off and returns the CLOCK_MONOTONIC ns of
// each stage (stage_trace.h order, 0 where not reached) of the last sign settled while they were on.
Napi::Value JsStageTrace(const Napi::CallbackInfo &info) {
  CheckArgs(info, "stageTrace", {Arg::Boolean});
  StageTrace::enabled = info[0].As<Napi::Boolean>().Value();
  Napi::Float64Array out = Napi::Float64Array::New(info.Env(), kStageCount);
  for (int i = 0; i < kStageCount; i++) out[i] = static_cast<double>(LastSignTrace().at[i]);
  return out;
}

Napi::Value JsModuleUseCount(const Napi::CallbackInfo &info) {
  CheckArgs(info, "moduleUseCount", {Arg::String});
  return Napi::Number::New(info.Env(), Module::UseCount(info[0].As<Napi::String>().Utf8Value()));
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());  // deleted by Node when this environment ends
  exports.Set("setErrorClass", Napi::Function::New(env, JsSetErrorClass));
  exports.Set("listSlots", Napi::Function::New(env, JsListSlots));
  exports.Set("open", Napi::Function::New(env, JsOpen));
  exports.Set("parsePublicKey", Napi::Function::New(env, JsParsePublicKey));
  exports.Set("moduleUseCount", Napi::Function::New(env, JsModuleUseCount));
  exports.Set("nativeVerify", Napi::Boolean::New(env, NativeVerifyAvailable()));
  exports.Set("ecdsaRawToDer", Napi::Function::New(env, JsEcdsaRawToDer));
  exports.Set("verify", Napi::Function::New(env, JsVerify));
  exports.Set("verifyRepeat", Napi::Function::New(env, JsVerifyRepeat));
  exports.Set("verifyKeys", Napi::Function::New(env, JsVerifyKeys));
  exports.Set("stageTrace", Napi::Function::New(env, JsStageTrace));
  exports.Set("PoolHandle", PoolHandle::Define(env));
  RegisterFileLock(env, exports);
  RegisterDigest(env, exports);
  return exports;
}

}  // namespace hsm

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return hsm::Init(env, exports); }

NODE_API_MODULE(tezos_hsm_signer, InitAddon)
