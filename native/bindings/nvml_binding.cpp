#include "bindings/nvml_binding.h"

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include "bindings/checked_wrap.h"
#include "core/args.h"
#include "core/async.h"
#include "observers/nvml_process_utilization.h"
#include "observers/nvml_sampler.h"
#include "observers/nvml_snapshot.h"

namespace gsm {
namespace {

const char* computeModeName(int mode) {
  switch (mode) {  // nvmlComputeMode_t
    case 0: return "default";
    case 1: return "exclusive-thread";
    case 2: return "prohibited";
    case 3: return "exclusive-process";
    default: return "unknown";
  }
}

template <typename T>
void setIf(Napi::Object& o, const char* key, const std::optional<T>& v, double scale = 1.0) {
  if (v.has_value()) o.Set(key, Napi::Number::New(o.Env(), static_cast<double>(*v) * scale));
}

Napi::Object eccToJs(Napi::Env env, const EccCounts& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("corrected", static_cast<double>(c.corrected));
  o.Set("uncorrected", static_cast<double>(c.uncorrected));
  return o;
}

Napi::Array processesToJs(Napi::Env env, const std::vector<ProcessUse>& list) {
  Napi::Array out = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const ProcessUse& p = list[i];
    Napi::Object x = Napi::Object::New(env);
    x.Set("pid", p.pid);
    if (!p.name.empty()) x.Set("name", p.name);
    setIf(x, "usedMemoryBytes", p.usedBytes);
    setIf(x, "gpuInstanceId", p.gpuInstanceId);
    setIf(x, "computeInstanceId", p.computeInstanceId);
    x.Set("mps", p.mps);
    out.Set(static_cast<uint32_t>(i), x);
  }
  return out;
}

Napi::Object deviceToJs(Napi::Env env, const DeviceState& d) {
  Napi::Object x = Napi::Object::New(env);
  x.Set("index", d.index);
  x.Set("name", d.name);
  x.Set("uuid", d.uuid);
  setIf(x, "memoryTotalBytes", d.memTotal);
  setIf(x, "memoryUsedBytes", d.memUsed);
  setIf(x, "smClockMHz", d.smClock);
  setIf(x, "memClockMHz", d.memClock);
  setIf(x, "graphicsClockMHz", d.graphicsClock);
  setIf(x, "maxSmClockMHz", d.maxSmClock);
  setIf(x, "maxMemClockMHz", d.maxMemClock);
  setIf(x, "temperatureC", d.temperature);
  setIf(x, "powerW", d.powerMw, 1e-3);
  setIf(x, "powerLimitW", d.powerLimitMw, 1e-3);
  setIf(x, "energyJ", d.energyMj, 1e-3);
  setIf(x, "utilizationGpuPct", d.utilGpu);
  setIf(x, "utilizationMemoryPct", d.utilMemory);
  if (d.computeMode) x.Set("computeMode", computeModeName(*d.computeMode));
  if (d.persistence) x.Set("persistenceMode", *d.persistence == 1);
  if (d.migCurrent) x.Set("migEnabled", *d.migCurrent == 1);
  if (d.migPending) x.Set("migPendingEnabled", *d.migPending == 1);
  setIf(x, "clocksEventReasons", d.eventReasons);
  if (d.eccEnabled) x.Set("eccEnabled", *d.eccEnabled);
  if (d.ecc) x.Set("eccErrors", eccToJs(env, *d.ecc));
  if (d.gpmSupported) x.Set("gpmSupported", *d.gpmSupported);
  if (d.processes)
    x.Set("processes", processesToJs(env, *d.processes));
  else if (!d.processesReason.empty())
    x.Set("processesReason", d.processesReason);
  if (!d.migDevices.empty()) {
    Napi::Array migs = Napi::Array::New(env, d.migDevices.size());
    for (size_t m = 0; m < d.migDevices.size(); ++m) {
      const MigDeviceState& md = d.migDevices[m];
      Napi::Object y = Napi::Object::New(env);
      y.Set("index", md.index);
      y.Set("uuid", md.uuid);
      setIf(y, "gpuInstanceId", md.gpuInstanceId);
      setIf(y, "memoryTotalBytes", md.memTotal);
      setIf(y, "memoryUsedBytes", md.memUsed);
      migs.Set(static_cast<uint32_t>(m), y);
    }
    x.Set("migDevices", migs);
  }
  return x;
}

Napi::Value NvmlSnapshotFn(const Napi::CallbackInfo& info) {
  auto snap = std::make_shared<Snapshot>();
  return PromiseWorker::Start(
      info.Env(), [snap]() { takeSnapshot(*snap); },
      [snap](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("available", snap->available);
        if (!snap->reason.empty()) o.Set("reason", snap->reason);
        if (!snap->driverVersion.empty()) o.Set("driverVersion", snap->driverVersion);
        setIf(o, "cudaDriverVersion", snap->cudaDriverVersion);
        Napi::Array list = Napi::Array::New(env, snap->devices.size());
        for (size_t i = 0; i < snap->devices.size(); ++i) {
          list.Set(static_cast<uint32_t>(i), deviceToJs(env, snap->devices[i]));
        }
        o.Set("devices", list);
        return o;
      });
}

// nvmlProcessUtilization({ device, sinceUs }): the per-process samples NVML took after sinceUs.
Napi::Value NvmlProcessUtilizationFn(const Napi::CallbackInfo& info) {
  Napi::Object options = objectArg(info, 0, "the process utilisation options");
  const auto device = static_cast<unsigned>(intField(options, "device", 0, 1023));
  const uint64_t sinceUs = uint64Field(options, "sinceUs", 0, 9007199254740991.0);
  auto reading = std::make_shared<ProcessUtilizationReading>();
  return PromiseWorker::Start(
      info.Env(), [reading, device, sinceUs]() { *reading = readProcessUtilization(device, sinceUs); },
      [reading](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("reported", reading->reported);
        if (!reading->reason.empty()) o.Set("reason", reading->reason);
        if (!reading->source.empty()) o.Set("source", reading->source);
        Napi::Array list = Napi::Array::New(env, reading->samples.size());
        for (size_t i = 0; i < reading->samples.size(); ++i) {
          const ProcessUtilization& s = reading->samples[i];
          Napi::Object x = Napi::Object::New(env);
          x.Set("pid", s.pid);
          x.Set("timeStampUs", static_cast<double>(s.timeStampUs));
          x.Set("smPct", s.smPct);
          x.Set("memPct", s.memPct);
          x.Set("encPct", s.encPct);
          x.Set("decPct", s.decPct);
          list.Set(static_cast<uint32_t>(i), x);
        }
        o.Set("samples", list);
        return o;
      });
}

Napi::Float64Array toArray(Napi::Env env, const std::vector<double>& v) {
  Napi::Float64Array out = Napi::Float64Array::New(env, v.size());
  if (!v.empty()) std::memcpy(out.Data(), v.data(), v.size() * sizeof(double));
  return out;
}

Napi::Object columnsToJs(Napi::Env env, const std::vector<Column>& columns) {
  Napi::Object o = Napi::Object::New(env);
  for (const Column& c : columns) o.Set(c.name, toArray(env, c.values));
  return o;
}

Napi::Object gpmToJs(Napi::Env env, const GpmSeries& g) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", g.available);
  if (!g.reason.empty()) o.Set("reason", g.reason);
  o.Set("startNs", toArray(env, g.startNs));
  o.Set("endNs", toArray(env, g.endNs));
  o.Set("metrics", columnsToJs(env, g.metrics));
  return o;
}

Napi::Object seriesToJs(Napi::Env env, const NvmlSeries& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("device", s.device);
  o.Set("name", s.name);
  o.Set("uuid", s.uuid);
  o.Set("periodMs", s.periodMs);
  o.Set("startNs", Napi::BigInt::New(env, s.startNs));
  o.Set("endNs", Napi::BigInt::New(env, s.endNs));
  o.Set("lateSamples", static_cast<double>(s.lateSamples));
  o.Set("tNs", toArray(env, s.tNs));
  o.Set("columns", columnsToJs(env, s.columns));
  o.Set("gpm", gpmToJs(env, s.gpm));
  Napi::Array mig = Napi::Array::New(env, s.migGpm.size());
  for (size_t i = 0; i < s.migGpm.size(); ++i) {
    Napi::Object m = gpmToJs(env, s.migGpm[i].series);
    m.Set("gpuInstanceId", s.migGpm[i].gpuInstanceId);
    mig.Set(static_cast<uint32_t>(i), m);
  }
  o.Set("migGpm", mig);
  Napi::Object events = Napi::Object::New(env);
  events.Set("available", s.eventsAvailable);
  if (!s.eventsReason.empty()) events.Set("reason", s.eventsReason);
  Napi::Array list = Napi::Array::New(env, s.events.size());
  for (size_t i = 0; i < s.events.size(); ++i) {
    const NvmlEvent& e = s.events[i];
    Napi::Object x = Napi::Object::New(env);
    x.Set("tNs", e.tNs);
    x.Set("type", static_cast<double>(e.type));
    x.Set("data", static_cast<double>(e.data));
    setIf(x, "gpuInstanceId", e.gpuInstanceId);
    setIf(x, "computeInstanceId", e.computeInstanceId);
    list.Set(static_cast<uint32_t>(i), x);
  }
  events.Set("list", list);
  o.Set("events", events);
  Napi::Object ecc = Napi::Object::New(env);
  if (s.eccBefore) ecc.Set("before", eccToJs(env, *s.eccBefore));
  if (s.eccAfter) ecc.Set("after", eccToJs(env, *s.eccAfter));
  if (!s.eccReason.empty()) ecc.Set("reason", s.eccReason);
  o.Set("ecc", ecc);
  Napi::Object procs = Napi::Object::New(env);
  procs.Set("available", s.processesAvailable);
  if (!s.processesReason.empty()) procs.Set("reason", s.processesReason);
  Napi::Array plist = Napi::Array::New(env, s.processes.size());
  for (size_t i = 0; i < s.processes.size(); ++i) {
    const ProcessSeen& p = s.processes[i];
    Napi::Object x = Napi::Object::New(env);
    x.Set("pid", p.pid);
    if (!p.name.empty()) x.Set("name", p.name);
    x.Set("mps", p.mps);
    setIf(x, "maxUsedMemoryBytes", p.maxUsedBytes);
    setIf(x, "lastUsedMemoryBytes", p.lastUsedBytes);
    setIf(x, "gpuInstanceId", p.gpuInstanceId);
    x.Set("firstSeenNs", p.firstSeenNs);
    x.Set("lastSeenNs", p.lastSeenNs);
    plist.Set(static_cast<uint32_t>(i), x);
  }
  procs.Set("list", plist);
  o.Set("processes", procs);
  Napi::Array errors = Napi::Array::New(env, s.errors.size());
  for (size_t i = 0; i < s.errors.size(); ++i) errors.Set(static_cast<uint32_t>(i), s.errors[i]);
  o.Set("errors", errors);
  return o;
}

class SamplerObject : public CheckedWrap<SamplerObject> {
 public:
  static constexpr const char* kClassName = "NvmlSampler";
  static constexpr napi_type_tag kTypeTag = {0x2c94e7b1d05f3a68ull, 0x91d3a6f04e7c2b15ull};

  static Napi::Function Define(Napi::Env env) {
    return DefineWithMethods(env, {{"start", method<&SamplerObject::Start>()},
                                   {"stop", method<&SamplerObject::Stop>()},
                                   {"latest", method<&SamplerObject::Latest>()}});
  }

  explicit SamplerObject(const Napi::CallbackInfo& info) : CheckedWrap<SamplerObject>(info) {
    Napi::Object o = objectArg(info, 0, "the NVML sampler options");
    NvmlSamplerConfig c;
    c.device = static_cast<unsigned>(intField(o, "device", 0, 1023));
    c.periodMs = static_cast<unsigned>(intField(o, "periodMs", 1, 3600000));
    c.gpm = boolField(o, "gpm", true);
    c.retain = boolField(o, "retain", true);
    if (const auto gpmPeriod = optionalIntField(o, "gpmPeriodMs", 1, 3600000))
      c.gpmPeriodMs = static_cast<unsigned>(*gpmPeriod);
    sampler_ = std::make_shared<NvmlSampler>(c);
  }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    if (busy_) throw toJsError(info.Env(), FailureInfo{"ERR_STATE", "the NVML sampler is stopping", "", ""});
    try {
      sampler_->start();
    } catch (const NativeFailure& failure) {
      throw toJsError(info.Env(), failure.info());
    } catch (const std::exception& e) {  // e.g. std::system_error: no thread could be started
      throw toJsError(info.Env(), FailureInfo{"ERR_NATIVE", e.what(), "", ""});
    }
    return info.Env().Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (busy_ || !sampler_->running()) {
      const char* why = busy_ ? "the NVML sampler is already stopping" : "the NVML sampler is not running";
      return rejectedPromise(env, FailureInfo{"ERR_STATE", why, "", ""});
    }
    auto settled = hold(busy_);
    auto sampler = sampler_;
    auto out = std::make_shared<NvmlSeries>();
    return PromiseWorker::Start(
        env, [sampler, out]() { *out = sampler->stop(); },
        [out](Napi::Env env) -> Napi::Value { return seriesToJs(env, *out); }, std::move(settled));
  }

  Napi::Value Latest(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const NvmlLatest l = sampler_->latest();
    if (!l.valid) return env.Null();
    Napi::Object o = Napi::Object::New(env);
    o.Set("tNs", l.tNs);
    Napi::Object fields = Napi::Object::New(env);
    for (const auto& [k, v] : l.fields) fields.Set(k, v);
    o.Set("fields", fields);
    Napi::Object gpm = Napi::Object::New(env);
    for (const auto& [k, v] : l.gpm) gpm.Set(k, v);
    o.Set("gpm", gpm);
    return o;
  }

  std::shared_ptr<NvmlSampler> sampler_;
  bool busy_ = false;
};

}  // namespace

void registerNvml(Napi::Env env, Napi::Object exports) {
  exports.Set("nvmlSnapshot", Napi::Function::New(env, NvmlSnapshotFn, "nvmlSnapshot"));
  exports.Set("nvmlProcessUtilization", Napi::Function::New(env, NvmlProcessUtilizationFn, "nvmlProcessUtilization"));
  exports.Set("NvmlSampler", SamplerObject::Define(env));
}

}  // namespace gsm
