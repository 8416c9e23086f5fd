#include "core/async.h"

#include "core/env_guard.h"

namespace gsm {

Napi::Promise PromiseWorker::Start(Napi::Env env, Work execute, Resolve resolve, Settled settled) {
  auto* worker = new PromiseWorker(env, std::move(execute), std::move(resolve), std::move(settled));
  const Napi::Promise promise(env, worker->promise_);
  worker->Queue();
  return promise;
}

PromiseWorker::PromiseWorker(Napi::Env env, Work execute, Resolve resolve, Settled settled)
    : Napi::AsyncWorker(env), execute_(std::move(execute)), resolve_(std::move(resolve)), settled_(std::move(settled)) {
  const napi_status status = napi_create_promise(env, &deferred_, &promise_);
  NAPI_THROW_IF_FAILED_VOID(env, status);
}

void PromiseWorker::Execute() {
  try {
    execute_();
  } catch (const NativeFailure& failure) { failure_ = failure.info(); } catch (const std::exception& e) {
    failure_ = FailureInfo{"ERR_NATIVE", e.what(), "", ""};
  } catch (...) { failure_ = FailureInfo{"ERR_NATIVE", "an unknown C++ exception", "", ""}; }
  if (!failure_.code.empty()) SetError(failure_.message);
}

napi_value PromiseWorker::settlement(bool& ok) noexcept {
  Napi::Env env = Env();
  try {
    return ok ? static_cast<napi_value>(resolve_(env)) : static_cast<napi_value>(toJsError(env, failure_).Value());
  } catch (const Napi::Error& e) {
    ok = false;
    try {
      return e.Value();
    } catch (...) { return nullptr; }
  } catch (const std::exception& e) {
    ok = false;
    try {
      return toJsError(env, FailureInfo{"ERR_NATIVE", e.what(), "", ""}).Value();
    } catch (...) { return nullptr; }
  }
}

void PromiseWorker::complete(bool ok) noexcept {
  try {
    if (settled_) settled_();
  } catch (...) {
    // `settled` only clears flags; nothing it could throw changes the outcome
  }
  Napi::Env env = Env();
  if (!canCallIntoJs(env)) return;  // the environment is going away: nobody is left to tell
  const napi_value value = settlement(ok);
  if (value == nullptr) return;
  // These fail only where JavaScript stopped being runnable since the check; there is nothing to do then.
  if (ok)
    napi_resolve_deferred(env, deferred_, value);
  else
    napi_reject_deferred(env, deferred_, value);
}

Napi::Promise rejectedPromise(Napi::Env env, const FailureInfo& failure) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(toJsError(env, failure).Value());
  return deferred.Promise();
}

}  // namespace gsm
