// Reading arguments at the N-API boundary. TypeScript validates every option first; these readers
// make sure that any wrong call from JavaScript fails the same way: a TypeError with code ERR_ARGS
// naming the argument and what was expected, thrown before any native work starts. That includes an
// option whose getter (or Proxy trap) throws while it is read. Never a crash, never an uncoded error.
#pragma once

#include <napi.h>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gsm {

// The one way an argument error leaves the addon: a TypeError with code ERR_ARGS.
[[noreturn]] void throwArgs(Napi::Env env, const std::string& message);

// Positional arguments.
Napi::Object objectArg(const Napi::CallbackInfo& info, size_t index, const char* name);
int deviceArg(const Napi::CallbackInfo& info, size_t index);  // an integer in [0, 1023]
uint64_t bigintArg(const Napi::CallbackInfo& info, size_t index, const char* name);  // in [0, 2^64)

// Fields of an options object. A field read through a throwing getter is an argument error too.
Napi::Value field(const Napi::Object& obj, const char* key);
double numberField(const Napi::Object& obj, const char* key, double min, double max);
int intField(const Napi::Object& obj, const char* key, int min, int max);
// A whole number in [min, max] (min >= 0, max at most 2^53 - 1: exact as a double), for 64-bit fields.
uint64_t uint64Field(const Napi::Object& obj, const char* key, double min, double max);
std::optional<int> optionalIntField(const Napi::Object& obj, const char* key, int min, int max);  // undefined: none
std::string stringField(const Napi::Object& obj, const char* key);
std::optional<std::string> optionalStringField(const Napi::Object& obj, const char* key);
bool boolField(const Napi::Object& obj, const char* key, bool fallback);  // undefined: the fallback
Napi::Object objectField(const Napi::Object& obj, const char* key);
// An array of `minLength` to `maxLength` integers, each in [min, max].
std::vector<int64_t> integerArrayField(const Napi::Object& obj, const char* key, size_t minLength, size_t maxLength,
                                       double min, double max);
// Undefined, or a Float64Array or an array of numbers, at most `maxLength` of them, each finite and in
// [min, max]. Fractions are kept.
std::optional<std::vector<double>> optionalNumberArrayField(const Napi::Object& obj, const char* key, size_t maxLength,
                                                            double min, double max);
// Undefined, or an array of at most `maxLength` strings.
std::optional<std::vector<std::string>> optionalStringArrayField(const Napi::Object& obj, const char* key,
                                                                 size_t maxLength);

}  // namespace gsm
