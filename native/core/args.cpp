#include "core/args.h"

#include <cmath>
#include "core/errors.h"

namespace gsm {
namespace {

// 1000 rather than 1000.000000, and 2^53 - 1 as digits.
std::string number(double d) {
  if (d == std::floor(d) && std::fabs(d) < 1e16) return std::to_string(static_cast<long long>(d));
  return std::to_string(d);
}

bool isInteger(double d) { return std::isfinite(d) && d == std::floor(d); }

// Element `i` of `array`; a throwing getter on the array is an argument error.
Napi::Value element(const Napi::Array& array, uint32_t i, const char* key) {
  try {
    return array.Get(i);
  } catch (const Napi::Error& e) {
    throwArgs(array.Env(), std::string("could not read ") + key + "[" + std::to_string(i) + "]: " + e.Message());
  }
}

}  // namespace

void throwArgs(Napi::Env env, const std::string& message) {
  throw toJsError(env, FailureInfo{"ERR_ARGS", message, "", ""});
}

Napi::Object objectArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info.Length() <= index || !info[index].IsObject())
    throwArgs(info.Env(), std::string("expected an object for ") + name);
  return info[index].As<Napi::Object>();
}

int deviceArg(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || !info[index].IsNumber()) throwArgs(info.Env(), "expected a device index");
  const double d = info[index].As<Napi::Number>().DoubleValue();
  if (!isInteger(d) || d < 0 || d > 1023) throwArgs(info.Env(), "expected a device index in [0, 1023]");
  return static_cast<int>(d);
}

uint64_t bigintArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info.Length() <= index || !info[index].IsBigInt())
    throwArgs(info.Env(), std::string("expected a bigint ") + name);
  bool lossless = false;
  const uint64_t v = info[index].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) throwArgs(info.Env(), std::string("expected a non-negative 64-bit ") + name);
  return v;
}

Napi::Value field(const Napi::Object& obj, const char* key) {
  try {
    return obj.Get(key);
  } catch (const Napi::Error& e) { throwArgs(obj.Env(), std::string("could not read ") + key + ": " + e.Message()); }
}

double numberField(const Napi::Object& obj, const char* key, double min, double max) {
  const Napi::Value v = field(obj, key);
  if (!v.IsNumber()) throwArgs(obj.Env(), std::string("expected a number for ") + key);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < min || d > max) {
    throwArgs(obj.Env(), std::string("expected ") + key + " in [" + number(min) + ", " + number(max) + "]");
  }
  return d;
}

int intField(const Napi::Object& obj, const char* key, int min, int max) {
  const double d = numberField(obj, key, min, max);
  if (d != std::floor(d)) throwArgs(obj.Env(), std::string("expected an integer for ") + key);
  return static_cast<int>(d);
}

uint64_t uint64Field(const Napi::Object& obj, const char* key, double min, double max) {
  const double d = numberField(obj, key, min, max);
  if (d != std::floor(d)) throwArgs(obj.Env(), std::string("expected an integer for ") + key);
  return static_cast<uint64_t>(d);
}

std::optional<int> optionalIntField(const Napi::Object& obj, const char* key, int min, int max) {
  if (field(obj, key).IsUndefined()) return std::nullopt;
  return intField(obj, key, min, max);
}

std::string stringField(const Napi::Object& obj, const char* key) {
  const Napi::Value v = field(obj, key);
  if (!v.IsString()) throwArgs(obj.Env(), std::string("expected a string for ") + key);
  return v.As<Napi::String>().Utf8Value();
}

std::optional<std::string> optionalStringField(const Napi::Object& obj, const char* key) {
  if (field(obj, key).IsUndefined()) return std::nullopt;
  return stringField(obj, key);
}

bool boolField(const Napi::Object& obj, const char* key, bool fallback) {
  const Napi::Value v = field(obj, key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) throwArgs(obj.Env(), std::string("expected a boolean for ") + key);
  return v.As<Napi::Boolean>().Value();
}

Napi::Object objectField(const Napi::Object& obj, const char* key) {
  const Napi::Value v = field(obj, key);
  if (!v.IsObject()) throwArgs(obj.Env(), std::string("expected an object for ") + key);
  return v.As<Napi::Object>();
}

std::vector<int64_t> integerArrayField(const Napi::Object& obj, const char* key, size_t minLength, size_t maxLength,
                                       double min, double max) {
  const Napi::Value v = field(obj, key);
  const std::string expected = std::string("expected ") + key + " to be an array of " + std::to_string(minLength) +
                               " to " + std::to_string(maxLength) + " integers in [" + number(min) + ", " +
                               number(max) + "]";
  if (!v.IsArray()) throwArgs(obj.Env(), expected);
  const Napi::Array a = v.As<Napi::Array>();
  if (a.Length() < minLength || a.Length() > maxLength) throwArgs(obj.Env(), expected);
  std::vector<int64_t> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const Napi::Value e = element(a, i, key);
    if (!e.IsNumber()) throwArgs(obj.Env(), expected);
    const double d = e.As<Napi::Number>().DoubleValue();
    if (!isInteger(d) || d < min || d > max) throwArgs(obj.Env(), expected);
    out.push_back(static_cast<int64_t>(d));
  }
  return out;
}

std::optional<std::vector<double>> optionalNumberArrayField(const Napi::Object& obj, const char* key, size_t maxLength,
                                                            double min, double max) {
  const Napi::Value v = field(obj, key);
  if (v.IsUndefined()) return std::nullopt;
  const std::string expected = std::string("expected ") + key + " to be a Float64Array or an array of at most " +
                               std::to_string(maxLength) + " numbers, each in [" + number(min) + ", " + number(max) +
                               "]";
  std::vector<double> out;
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float64_array) {
    const Napi::Float64Array a = v.As<Napi::Float64Array>();
    if (a.ElementLength() > maxLength) throwArgs(obj.Env(), expected);
    out.assign(a.Data(), a.Data() + a.ElementLength());
  } else if (v.IsArray()) {
    const Napi::Array a = v.As<Napi::Array>();
    const uint32_t length = a.Length();  // read once: a getter may grow the array
    if (length > maxLength) throwArgs(obj.Env(), expected);
    out.reserve(length);
    for (uint32_t i = 0; i < length; ++i) {
      const Napi::Value e = element(a, i, key);
      if (!e.IsNumber()) throwArgs(obj.Env(), expected);
      out.push_back(e.As<Napi::Number>().DoubleValue());
    }
  } else {
    throwArgs(obj.Env(), expected);
  }
  for (const double d : out) {
    if (!std::isfinite(d) || d < min || d > max) throwArgs(obj.Env(), expected);
  }
  return out;
}

std::optional<std::vector<std::string>> optionalStringArrayField(const Napi::Object& obj, const char* key,
                                                                 size_t maxLength) {
  const Napi::Value v = field(obj, key);
  if (v.IsUndefined()) return std::nullopt;
  const std::string expected =
      std::string("expected an array of at most ") + std::to_string(maxLength) + " strings for " + key;
  if (!v.IsArray()) throwArgs(obj.Env(), expected);
  const Napi::Array a = v.As<Napi::Array>();
  if (a.Length() > maxLength) throwArgs(obj.Env(), expected);
  std::vector<std::string> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const Napi::Value e = element(a, i, key);
    if (!e.IsString()) throwArgs(obj.Env(), expected);
    out.push_back(e.As<Napi::String>().Utf8Value());
  }
  return out;
}

}  // namespace gsm
