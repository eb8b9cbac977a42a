// Argument checks that hold in every build type (an assert compiles out of Release). src/hsm/ checks
// arguments first, so one failing here is a caller's bug: it becomes a TypeError, never a crash.
#pragma once

#include <napi.h>

#include <initializer_list>

namespace hsm {

enum class Arg { Number, String, Boolean, Bytes, Function, Object, BigInt, Array };

inline bool IsArg(Napi::Value v, Arg kind) {
  switch (kind) {
    case Arg::Number:
      return v.IsNumber();
    case Arg::String:
      return v.IsString();
    case Arg::Boolean:
      return v.IsBoolean();
    case Arg::Bytes:  // a Uint8Array, Buffer included
      return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array;
    case Arg::Function:
      return v.IsFunction();
    case Arg::Object:
      return v.IsObject();
    case Arg::BigInt:
      return v.IsBigInt();
    case Arg::Array:
      return v.IsArray();
  }
  return false;
}

// Throws a TypeError naming `fn` unless the call has exactly these arguments.
inline void CheckArgs(const Napi::CallbackInfo &info, const char *fn, std::initializer_list<Arg> kinds) {
  bool ok = info.Length() == kinds.size();
  size_t i = 0;
  for (Arg kind : kinds) {
    if (!ok) break;
    ok = IsArg(info[i++], kind);
  }
  if (!ok) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": arguments of the wrong number or type");
}

}  // namespace hsm
