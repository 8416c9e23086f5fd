// Runs native work off the JavaScript thread and settles a promise with its result. `execute` runs
// on a worker thread and may throw NativeFailure (or any std::exception); `resolve` runs back on the
// JavaScript thread and builds the value. Nothing throws across the boundary.
#pragma once

#include <napi.h>
#include <functional>
#include <memory>
#include "core/errors.h"

namespace gsm {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Resolve = std::function<Napi::Value(Napi::Env)>;
  using Settled = std::function<void()>;

  // `settled` (optional) runs on the JavaScript thread once the promise settles either way.
  static Napi::Promise Start(Napi::Env env, Work execute, Resolve resolve, Settled settled = nullptr) {
    auto* worker = new PromiseWorker(env, std::move(execute), std::move(resolve), std::move(settled));
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      execute_();
    } catch (const NativeFailure& failure) {
      failure_ = failure.info();
      SetError(failure_.message);
    } catch (const std::exception& e) {
      failure_ = FailureInfo{"ERR_NATIVE", e.what(), "", ""};
      SetError(failure_.message);
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (settled_) settled_();
    try {
      deferred_.Resolve(resolve_(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error&) override {
    if (settled_) settled_();
    deferred_.Reject(toJsError(Env(), failure_).Value());
  }

 private:
  PromiseWorker(Napi::Env env, Work execute, Resolve resolve, Settled settled)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)),
        execute_(std::move(execute)), resolve_(std::move(resolve)), settled_(std::move(settled)) {}

  Napi::Promise::Deferred deferred_;
  Work execute_;
  Resolve resolve_;
  Settled settled_;
  FailureInfo failure_;
};

}  // namespace gsm
