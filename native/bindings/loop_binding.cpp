#include "bindings/loop_binding.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include "bindings/checked_wrap.h"
#include "bindings/workload_binding.h"
#include "core/args.h"
#include "core/async.h"
#include "core/errors.h"
#include "core/timed_loop.h"

namespace gsm {
namespace {

constexpr size_t kMaxArrivals = 50000000;
constexpr double kDayNs = 86400e9;

// The open loop's schedule: ascending, each in [0, a day] ns; with `launches`, exactly that many.
void readArrivals(const Napi::Object& o, LoopConfig& c) {
  std::optional<std::vector<double>> arrivals = optionalNumberArrayField(o, "arrivalsNs", kMaxArrivals, 0, kDayNs);
  if (!arrivals) return;
  if (!std::is_sorted(arrivals->begin(), arrivals->end())) throwArgs(o.Env(), "expected arrivalsNs to be ascending");
  if (c.launches > 0 && arrivals->size() != c.launches) {
    throwArgs(o.Env(), "expected arrivalsNs to have exactly `launches` (" + std::to_string(c.launches) +
                           ") entries, got " + std::to_string(arrivals->size()));
  }
  c.open = true;
  c.arrivalsNs = std::move(*arrivals);
}

// Bursty windows: whole nanoseconds, on and off > 0, phase below their sum.
void readBursts(const Napi::Object& o, LoopConfig& c) {
  if (field(o, "bursts").IsUndefined()) return;
  const Napi::Object b = objectField(o, "bursts");
  c.bursts.onNs = uint64Field(b, "onNs", 1, kDayNs);
  c.bursts.offNs = uint64Field(b, "offNs", 1, kDayNs);
  c.bursts.phaseNs = uint64Field(b, "phaseNs", 0, kDayNs);
  if (c.bursts.phaseNs >= c.bursts.onNs + c.bursts.offNs)
    throwArgs(o.Env(), "expected bursts.phaseNs below bursts.onNs + bursts.offNs");
}

LoopConfig readConfig(const Napi::Object& o) {
  LoopConfig c;
  c.workload = readWorkloadSpec(objectField(o, "workload"));
  c.device = intField(o, "device", 0, 1023);
  c.streamPriority = intField(o, "streamPriority", -1024, 1024);
  c.greenContext = intField(o, "greenContext", -1, 1 << 20);
  c.durationNs = uint64Field(o, "durationNs", 0, 86400e9);
  c.launches = uint64Field(o, "launches", 0, 1e12);
  if ((c.durationNs == 0) == (c.launches == 0))
    throwArgs(o.Env(), "expected exactly one of durationNs and launches to be non-zero");
  c.depth = intField(o, "depth", 1, 1024);
  c.traceCapacity = uint64Field(o, "traceCapacity", 0, 1e10);
  c.warmupNs = uint64Field(o, "warmupNs", 0, 600e9);
  c.traceEvery = static_cast<uint32_t>(optionalIntField(o, "traceEvery", 1, 1 << 20).value_or(1));
  readArrivals(o, c);
  readBursts(o, c);
  if (c.open && c.bursts.onNs > 0) throwArgs(o.Env(), "expected at most one of arrivalsNs and bursts");
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

// A model's ops (PrepareInfo.layers): {layer, phase, what, impl, flops} each.
Napi::Array layersToJs(Napi::Env env, const std::vector<LayerInfo>& layers) {
  Napi::Array out = Napi::Array::New(env, layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("layer", layers[i].layer);
    o.Set("phase", layers[i].phase);
    o.Set("what", layers[i].what);
    o.Set("impl", layers[i].impl);
    o.Set("flops", layers[i].flops);
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

// A model's layer times (LoopResult.layers): {layer, phase, impl, ns: number[]} each.
Napi::Array layerTimesToJs(Napi::Env env, const std::vector<LayerTimes>& times) {
  Napi::Array out = Napi::Array::New(env, times.size());
  for (size_t i = 0; i < times.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("layer", times[i].layer);
    o.Set("phase", times[i].phase);
    o.Set("impl", times[i].impl);
    Napi::Array ns = Napi::Array::New(env, times[i].ns.size());
    for (size_t j = 0; j < times[i].ns.size(); ++j)
      ns.Set(static_cast<uint32_t>(j), static_cast<double>(times[i].ns[j]));
    o.Set("ns", ns);
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

class LoopObject : public CheckedWrap<LoopObject> {
 public:
  static constexpr const char* kClassName = "TimedLoop";
  static constexpr napi_type_tag kTypeTag = {0x6a1f5c0e93b24d71ull, 0xa47e2d9c18f3b605ull};

  static Napi::Function Define(Napi::Env env) {
    return DefineWithMethods(env, {{"prepare", method<&LoopObject::Prepare>()},
                                   {"run", method<&LoopObject::Run>()},
                                   {"stop", method<&LoopObject::Stop>()},
                                   {"release", method<&LoopObject::Release>()}});
  }

  explicit LoopObject(const Napi::CallbackInfo& info) : CheckedWrap<LoopObject>(info) {
    loop_ = std::make_shared<TimedLoop>(readConfig(objectArg(info, 0, "the loop configuration")));
  }

 private:
  static Napi::Value rejectState(Napi::Env env, const char* message) {
    return rejectedPromise(env, FailureInfo{"ERR_STATE", message, "", ""});
  }

  Napi::Value Prepare(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (busy_) return rejectState(env, "the loop is busy");
    if (loop_ == nullptr) return rejectState(env, "the loop was released");
    auto settled = hold(busy_);
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
          o.Set("layers", layersToJs(env, out->layers));
          o.Set("deviceBytes", static_cast<double>(out->deviceBytes));
          if (out->resident.threadsPerCta > 0) {
            Napi::Object r = Napi::Object::New(env);
            r.Set("threadsPerCta", out->resident.threadsPerCta);
            r.Set("registersPerThread", out->resident.registersPerThread);
            r.Set("sharedBytesPerCta", static_cast<double>(out->resident.sharedBytesPerCta));
            o.Set("resident", r);
          }
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
    const uint64_t startAt = bigintArg(info, 0, "start time (host monotonic ns)");
    if (busy_) return rejectState(env, "the loop is busy");
    if (loop_ == nullptr) return rejectState(env, "the loop was released");
    auto settled = hold(busy_);
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
          o.Set("scheduledNs", toFloat64Array(env, out->scheduledNs));
          o.Set("wakeLateNs", toFloat64Array(env, out->wakeLateNs));
          o.Set("scheduledRequests", static_cast<double>(out->scheduledRequests));
          o.Set("notStarted", static_cast<double>(out->notStarted));
          o.Set("bursts", static_cast<double>(out->bursts));
          o.Set("tracedLaunches", static_cast<double>(out->tracedLaunches));
          o.Set("trace", intervalsToBuffer(env, out->trace));
          o.Set("gapsObserved", static_cast<double>(out->observations.gapsObserved));
          o.Set("gaps", intervalsToBuffer(env, out->observations.gaps));
          o.Set("layers", layerTimesToJs(env, out->observations.layerTimes));
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
    if (busy_)
      throw toJsError(
          info.Env(),
          FailureInfo{"ERR_STATE", "release() while the loop is busy: stop() it and await it first", "", ""});
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
