// Runs native work off the JavaScript thread and settles a promise with its result. `execute` runs
// on a worker thread and may throw NativeFailure (or any exception); `resolve` runs back on the
// JavaScript thread and builds the value. Nothing throws across the boundary: not from `execute`,
// and not from the completion, which also runs while Node tears the environment down (a worker
// terminated, process.exit()); then the promise is left alone (core/env_guard.h).
#pragma once

#include <napi.h>
#include <functional>
#include "core/errors.h"

namespace gsm {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Resolve = std::function<Napi::Value(Napi::Env)>;
  using Settled = std::function<void()>;

  // `settled` (optional) runs on the JavaScript thread once the work is done, either way, before the
  // promise settles (and also where the environment is going away).
  static Napi::Promise Start(Napi::Env env, Work execute, Resolve resolve, Settled settled = nullptr);

 protected:
  void Execute() override;
  void OnOK() override { complete(true); }
  void OnError(const Napi::Error&) override { complete(false); }

 private:
  PromiseWorker(Napi::Env env, Work execute, Resolve resolve, Settled settled);
  void complete(bool ok) noexcept;
  // The value to settle with; on failure (building the result threw) `ok` turns false and the
  // value is the error. Null where not even an error could be made.
  napi_value settlement(bool& ok) noexcept;

  napi_deferred deferred_ = nullptr;
  napi_value promise_ = nullptr;
  Work execute_;
  Resolve resolve_;
  Settled settled_;
  FailureInfo failure_;
};

// A promise already rejected with `failure` (ERR_STATE for a call out of order, say).
Napi::Promise rejectedPromise(Napi::Env env, const FailureInfo& failure);

}  // namespace gsm
