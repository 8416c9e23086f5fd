// Reading arguments at the N-API boundary. TypeScript validates every option first; these checks
// only make sure that a wrong call from JavaScript throws a TypeError instead of crashing.
#pragma once

#include <napi.h>
#include <cmath>
#include <string>

namespace gsm {

inline Napi::Object objectArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info.Length() <= index || !info[index].IsObject()) {
    throw Napi::TypeError::New(info.Env(), std::string("expected an object for ") + name);
  }
  return info[index].As<Napi::Object>();
}

inline double numberField(const Napi::Object& obj, const char* key, double min, double max) {
  Napi::Value v = obj.Get(key);
  if (!v.IsNumber()) {
    throw Napi::TypeError::New(obj.Env(), std::string("expected a number for ") + key);
  }
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < min || d > max) {
    throw Napi::TypeError::New(obj.Env(), std::string("expected ") + key + " in [" +
                                              std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return d;
}

inline int intField(const Napi::Object& obj, const char* key, int min, int max) {
  const double d = numberField(obj, key, min, max);
  if (d != std::floor(d)) {
    throw Napi::TypeError::New(obj.Env(), std::string("expected an integer for ") + key);
  }
  return static_cast<int>(d);
}

inline std::string stringField(const Napi::Object& obj, const char* key) {
  Napi::Value v = obj.Get(key);
  if (!v.IsString()) throw Napi::TypeError::New(obj.Env(), std::string("expected a string for ") + key);
  return v.As<Napi::String>().Utf8Value();
}

}  // namespace gsm
