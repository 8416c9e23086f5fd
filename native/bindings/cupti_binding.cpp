#include "bindings/cupti_binding.h"

#include <cstring>
#include <memory>
#include "bindings/checked_wrap.h"
#include "core/args.h"
#include "core/async.h"
#include "observers/cupti_kernel_activity.h"
#include "observers/cupti_pm_sampler.h"

namespace gsm {
namespace {

Napi::Object clockToJs(Napi::Env env, const ClockTriple& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("hostNs", Napi::BigInt::New(env, c.hostNs));
  if (c.gpuNs != 0) o.Set("gpuNs", Napi::BigInt::New(env, c.gpuNs));
  if (c.cuptiNs != 0) o.Set("cuptiNs", Napi::BigInt::New(env, c.cuptiNs));
  o.Set("uncertaintyNs", static_cast<double>(c.uncertaintyNs));
  return o;
}

// Absolute 64-bit times as float64 offsets from `base` (exact below 2^53 ns, about 104 days).
Napi::Float64Array relative(Napi::Env env, const std::vector<uint64_t>& v, uint64_t base) {
  Napi::Float64Array out = Napi::Float64Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<double>(static_cast<int64_t>(v[i] - base));
  return out;
}

template <typename T, typename Array>
Array typed(Napi::Env env, const std::vector<T>& v) {
  Array out = Array::New(env, v.size());
  if (!v.empty()) std::memcpy(out.Data(), v.data(), v.size() * sizeof(T));
  return out;
}

Napi::Array strings(Napi::Env env, const std::vector<std::string>& v) {
  Napi::Array out = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) out.Set(static_cast<uint32_t>(i), v[i]);
  return out;
}

void setStatus(Napi::Object& o, bool available, const std::string& reason, const std::string& error,
               const std::string& library) {
  o.Set("available", available);
  if (!reason.empty()) o.Set("reason", reason);
  if (!error.empty()) o.Set("cuptiError", error);
  if (!library.empty()) o.Set("library", library);
}

Napi::Object activityToJs(Napi::Env env, const KernelActivityRecords& r, bool withRecords) {
  Napi::Object o = Napi::Object::New(env);
  setStatus(o, r.available, r.reason, r.cuptiError, r.library);
  if (!r.available) return o;
  o.Set("clockStart", clockToJs(env, r.clockStart));
  if (!r.clockReason.empty()) o.Set("clockReason", r.clockReason);
  if (!withRecords) return o;
  o.Set("clockEnd", clockToJs(env, r.clockEnd));
  uint64_t base = r.clockStart.cuptiNs;
  if (base == 0 && !r.start.empty()) base = r.start.front();
  o.Set("baseNs", Napi::BigInt::New(env, base));
  Napi::Object k = Napi::Object::New(env);
  k.Set("count", static_cast<double>(r.start.size()));
  k.Set("startNs", relative(env, r.start, base));
  k.Set("endNs", relative(env, r.end, base));
  k.Set("deviceId", typed<uint32_t, Napi::Uint32Array>(env, r.deviceId));
  k.Set("contextId", typed<uint32_t, Napi::Uint32Array>(env, r.contextId));
  k.Set("streamId", typed<uint32_t, Napi::Uint32Array>(env, r.streamId));
  k.Set("correlationId", typed<uint32_t, Napi::Uint32Array>(env, r.correlationId));
  k.Set("nameIndex", typed<uint32_t, Napi::Uint32Array>(env, r.nameIndex));
  k.Set("grid", typed<int32_t, Napi::Int32Array>(env, r.grid));
  k.Set("block", typed<int32_t, Napi::Int32Array>(env, r.block));
  k.Set("registersPerThread", typed<uint32_t, Napi::Uint32Array>(env, r.registersPerThread));
  k.Set("sharedMemoryBytes", typed<uint32_t, Napi::Uint32Array>(env, r.sharedMemoryBytes));
  o.Set("kernels", k);
  o.Set("names", strings(env, r.names));
  o.Set("droppedByCupti", static_cast<double>(r.droppedByCupti));
  o.Set("droppedOverLimit", static_cast<double>(r.droppedOverLimit));
  o.Set("otherRecords", static_cast<double>(r.otherRecords));
  return o;
}

Napi::Value ActivityStart(const Napi::CallbackInfo& info) {
  Napi::Object o = objectArg(info, 0, "the CUPTI activity options");
  ActivityConfig c;
  c.device = intField(o, "device", 0, 1023);
  c.maxRecords = static_cast<size_t>(intField(o, "maxRecords", 1, 100000000));
  c.globalTimer = boolField(o, "globalTimer", true);
  auto out = std::make_shared<KernelActivityRecords>();
  return PromiseWorker::Start(
      info.Env(), [c, out]() { *out = activityStart(c); },
      [out](Napi::Env env) -> Napi::Value { return activityToJs(env, *out, false); });
}

Napi::Value ActivityStop(const Napi::CallbackInfo& info) {
  auto out = std::make_shared<KernelActivityRecords>();
  return PromiseWorker::Start(
      info.Env(), [out]() { *out = activityStop(); },
      [out](Napi::Env env) -> Napi::Value { return activityToJs(env, *out, true); });
}

Napi::Object pmToJs(Napi::Env env, const PmSeries& s, bool withSamples) {
  Napi::Object o = Napi::Object::New(env);
  setStatus(o, s.available, s.reason, s.cuptiError, s.library);
  if (!s.chip.empty()) o.Set("chip", s.chip);
  o.Set("metrics", strings(env, s.metrics));
  o.Set("unsupportedMetrics", strings(env, s.unsupportedMetrics));
  o.Set("droppedMetrics", strings(env, s.droppedMetrics));
  o.Set("intervalNs", static_cast<double>(s.intervalNs));
  if (!s.available) return o;
  o.Set("clockStart", clockToJs(env, s.clockStart));
  if (!s.clockReason.empty()) o.Set("clockReason", s.clockReason);
  if (!withSamples) return o;
  o.Set("clockEnd", clockToJs(env, s.clockEnd));
  uint64_t base = s.start.empty() ? s.clockStart.gpuNs : s.start.front();
  o.Set("baseNs", Napi::BigInt::New(env, base));
  o.Set("startNs", relative(env, s.start, base));
  o.Set("endNs", relative(env, s.end, base));
  Napi::Object values = Napi::Object::New(env);
  for (size_t m = 0; m < s.metrics.size() && m < s.values.size(); ++m) {
    values.Set(s.metrics[m], typed<double, Napi::Float64Array>(env, s.values[m]));
  }
  o.Set("values", values);
  o.Set("overflows", static_cast<double>(s.overflows));
  o.Set("decodeErrors", static_cast<double>(s.decodeErrors));
  if (!s.lastDecodeError.empty()) o.Set("lastDecodeError", s.lastDecodeError);
  return o;
}

class PmSamplerObject : public CheckedWrap<PmSamplerObject> {
 public:
  static constexpr const char* kClassName = "PmSampler";
  static constexpr napi_type_tag kTypeTag = {0xd8573b0c6ea149f2ull, 0x3f60c2a9b718e4d5ull};

  static Napi::Function Define(Napi::Env env) {
    return DefineWithMethods(
        env, {{"start", method<&PmSamplerObject::Start>()}, {"stop", method<&PmSamplerObject::Stop>()}});
  }

  explicit PmSamplerObject(const Napi::CallbackInfo& info) : CheckedWrap<PmSamplerObject>(info) {
    Napi::Object o = objectArg(info, 0, "the PM sampling options");
    PmSamplingConfig c;
    c.device = intField(o, "device", 0, 1023);
    c.intervalNs = uint64Field(o, "intervalNs", 1000, 1e9);
    c.hardwareBufferBytes = static_cast<size_t>(uint64Field(o, "hardwareBufferBytes", 1 << 20, 4.0 * (1ull << 30)));
    c.maxSamplesPerImage = static_cast<uint32_t>(intField(o, "maxSamplesPerImage", 16, 10000000));
    c.metrics = optionalStringArrayField(o, "metrics", 256).value_or(std::vector<std::string>{});
    sampler_ = std::make_shared<PmSampler>(c);
  }

 private:
  static Napi::Value rejectState(Napi::Env env, const char* message) {
    return rejectedPromise(env, FailureInfo{"ERR_STATE", message, "", ""});
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    if (busy_) return rejectState(info.Env(), "the PM sampler is busy");
    auto sampler = sampler_;
    auto out = std::make_shared<PmSeries>();
    return PromiseWorker::Start(
        info.Env(), [sampler, out]() { *out = sampler->start(); },
        [out](Napi::Env env) -> Napi::Value { return pmToJs(env, *out, false); }, hold(busy_));
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (busy_) return rejectState(info.Env(), "the PM sampler is busy");
    auto sampler = sampler_;
    auto out = std::make_shared<PmSeries>();
    return PromiseWorker::Start(
        info.Env(), [sampler, out]() { *out = sampler->stop(); },
        [out](Napi::Env env) -> Napi::Value { return pmToJs(env, *out, true); }, hold(busy_));
  }

  std::shared_ptr<PmSampler> sampler_;
  bool busy_ = false;
};

}  // namespace

void registerCupti(Napi::Env env, Napi::Object exports) {
  exports.Set("cuptiActivityStart", Napi::Function::New(env, ActivityStart, "cuptiActivityStart"));
  exports.Set("cuptiActivityStop", Napi::Function::New(env, ActivityStop, "cuptiActivityStop"));
  exports.Set("PmSampler", PmSamplerObject::Define(env));
}

}  // namespace gsm
