#include "bindings/loop_binding.h"

#include <atomic>
#include <cstring>
#include <memory>
#include "core/args.h"
#include "core/errors.h"
#include "core/async.h"
#include "core/timed_loop.h"
#include "bindings/workload_binding.h"

namespace gsm {
namespace {

LoopConfig readConfig(const Napi::Object& o) {
  LoopConfig c;
  Napi::Value workload = o.Get("workload");
  if (!workload.IsObject()) throw Napi::TypeError::New(o.Env(), "expected an object for workload");
  c.workload = readWorkloadSpec(workload.As<Napi::Object>());
  c.device = intField(o, "device", 0, 1023);
  c.streamPriority = intField(o, "streamPriority", -1024, 1024);
  c.greenContext = intField(o, "greenContext", -1, 1 << 20);
  c.durationNs = static_cast<uint64_t>(numberField(o, "durationNs", 0, 86400e9));
  c.launches = static_cast<uint64_t>(numberField(o, "launches", 0, 1e12));
  if ((c.durationNs == 0) == (c.launches == 0)) {
    throw Napi::TypeError::New(o.Env(), "expected exactly one of durationNs and launches to be non-zero");
  }
  c.depth = intField(o, "depth", 1, 1024);
  c.traceCapacity = static_cast<uint64_t>(numberField(o, "traceCapacity", 0, 1e10));
  c.warmupNs = static_cast<uint64_t>(numberField(o, "warmupNs", 0, 600e9));
  if (!o.Get("traceEvery").IsUndefined()) c.traceEvery = static_cast<uint32_t>(intField(o, "traceEvery", 1, 1 << 20));
  return c;
}

Napi::Object clockToJs(Napi::Env env, const ClockPair& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("hostNs", Napi::BigInt::New(env, c.hostNs));
  o.Set("gpuNs", Napi::BigInt::New(env, c.gpuNs));
  o.Set("uncertaintyNs", Napi::Number::New(env, static_cast<double>(c.uncertaintyNs)));
  return o;
}

Napi::Float64Array toFloat64Array(Napi::Env env, const std::vector<double>& v) {
  Napi::Float64Array out = Napi::Float64Array::New(env, v.size());
  if (!v.empty()) std::memcpy(out.Data(), v.data(), v.size() * sizeof(double));
  return out;
}

Napi::ArrayBuffer intervalsToBuffer(Napi::Env env, const std::vector<Interval>& v) {
  Napi::ArrayBuffer out = Napi::ArrayBuffer::New(env, v.size() * sizeof(Interval));
  if (!v.empty()) std::memcpy(out.Data(), v.data(), v.size() * sizeof(Interval));
  return out;
}

class LoopObject : public Napi::ObjectWrap<LoopObject> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TimedLoop",
                       {InstanceMethod("prepare", &LoopObject::Prepare),
                        InstanceMethod("run", &LoopObject::Run),
                        InstanceMethod("stop", &LoopObject::Stop),
                        InstanceMethod("release", &LoopObject::Release)});
  }

  explicit LoopObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LoopObject>(info) {
    loop_ = std::make_shared<TimedLoop>(readConfig(objectArg(info, 0, "the loop configuration")));
  }

 private:
  // Marks the loop busy and keeps this object alive until the promise settles, either way.
  PromiseWorker::Settled hold() {
    busy_ = true;
    auto ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(Value()));
    return [this, ref]() { busy_ = false; };
  }

  Napi::Value rejectState(Napi::Env env, const char* message) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(toJsError(env, FailureInfo{"ERR_STATE", message, "", ""}).Value());
    return deferred.Promise();
  }

  Napi::Value Prepare(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (busy_) return rejectState(env, "the loop is busy");
    if (loop_ == nullptr) return rejectState(env, "the loop was released");
    auto settled = hold();
    auto loop = loop_;
    auto out = std::make_shared<PrepareInfo>();
    return PromiseWorker::Start(
        env, [loop, out]() { *out = loop->prepare(); },
        [out](Napi::Env env) -> Napi::Value {
          Napi::Object o = Napi::Object::New(env);
          o.Set("deviceName", out->deviceName);
          o.Set("smCount", out->smCount);
          o.Set("smsAvailable", out->smsAvailable);
          o.Set("ctasPerLaunch", out->ctasPerLaunch);
          o.Set("streamPriority", out->streamPriority);
          o.Set("flopsPerLaunch", out->flopsPerLaunch);
          o.Set("bytesPerLaunch", out->bytesPerLaunch);
          o.Set("detail", out->detail);
          o.Set("warmupLaunches", static_cast<double>(out->warmupLaunches));
          o.Set("warmupMs", out->warmupMs);
          o.Set("traceLaunchCapacity", static_cast<double>(out->traceLaunchCapacity));
          o.Set("clock", clockToJs(env, out->clock));
          return o;
        },
        std::move(settled));
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBigInt()) {
      throw Napi::TypeError::New(env, "expected a bigint start time (host monotonic ns)");
    }
    bool lossless = false;
    const uint64_t startAt = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw Napi::TypeError::New(env, "expected a non-negative 64-bit start time");
    if (busy_) return rejectState(env, "the loop is busy");
    if (loop_ == nullptr) return rejectState(env, "the loop was released");
    auto settled = hold();
    auto loop = loop_;
    auto out = std::make_shared<LoopResult>();
    return PromiseWorker::Start(
        env, [loop, out, startAt]() { *out = loop->run(startAt); },
        [out](Napi::Env env) -> Napi::Value {
          Napi::Object o = Napi::Object::New(env);
          o.Set("requestedStartNs", Napi::BigInt::New(env, out->requestedStartNs));
          o.Set("startNs", Napi::BigInt::New(env, out->startNs));
          o.Set("endNs", Napi::BigInt::New(env, out->endNs));
          o.Set("stopped", out->stopped);
          o.Set("enqueueNs", toFloat64Array(env, out->enqueueNs));
          o.Set("latencyNs", toFloat64Array(env, out->latencyNs));
          o.Set("gpuNs", toFloat64Array(env, out->gpuNs));
          o.Set("tracedLaunches", static_cast<double>(out->tracedLaunches));
          o.Set("trace", intervalsToBuffer(env, out->trace));
          o.Set("gapsObserved", static_cast<double>(out->observations.gapsObserved));
          o.Set("gaps", intervalsToBuffer(env, out->observations.gaps));
          o.Set("clock", clockToJs(env, out->clock));
          return o;
        },
        std::move(settled));
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (loop_ != nullptr) loop_->requestStop();
    return info.Env().Undefined();
  }

  Napi::Value Release(const Napi::CallbackInfo& info) {
    if (busy_) throw Napi::Error::New(info.Env(), "release() while the loop is busy: stop() it and await it first");
    loop_.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<TimedLoop> loop_;
  bool busy_ = false;
};

}  // namespace

void registerLoop(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = LoopObject::Define(env);
  exports.Set("TimedLoop", ctor);
}

}  // namespace gsm
