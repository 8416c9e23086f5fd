#include "nvml.h"

#include <dlfcn.h>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>
#include "async.h"

namespace gsm {
namespace {

// The few NVML declarations this file needs (nvml.h is not on every build machine).
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t { unsigned long long total, free, used; };
struct nvmlUtilization_t { unsigned int gpu, memory; };
constexpr nvmlReturn_t kSuccess = 0;
constexpr int kClockGraphics = 0, kClockSm = 1, kClockMem = 2;
constexpr int kTemperatureGpu = 0;

struct NvmlApi {
  void* handle = nullptr;
  std::string loadError;
  nvmlReturn_t (*init)() = nullptr;
  const char* (*errorString)(nvmlReturn_t) = nullptr;
  nvmlReturn_t (*driverVersion)(char*, unsigned) = nullptr;
  nvmlReturn_t (*cudaDriverVersion)(int*) = nullptr;
  nvmlReturn_t (*deviceCount)(unsigned*) = nullptr;
  nvmlReturn_t (*handleByIndex)(unsigned, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*uuid)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*maxClock)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*computeMode)(nvmlDevice_t, int*) = nullptr;
  nvmlReturn_t (*migMode)(nvmlDevice_t, unsigned*, unsigned*) = nullptr;
  nvmlReturn_t (*persistence)(nvmlDevice_t, int*) = nullptr;
  nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*power)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*utilization)(nvmlDevice_t, nvmlUtilization_t*) = nullptr;
  nvmlReturn_t (*eventReasons)(nvmlDevice_t, unsigned long long*) = nullptr;
  nvmlReturn_t initStatus = -1;
};

template <typename F>
void bind(void* lib, F& fn, const char* symbol) {
  fn = reinterpret_cast<F>(dlsym(lib, symbol));
}

// Loads and initialises NVML once per process; later calls reuse it.
NvmlApi& nvml() {
  static NvmlApi api;
  static std::once_flag once;
  std::call_once(once, [] {
    api.handle = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (api.handle == nullptr) {
      const char* e = dlerror();
      api.loadError = std::string("libnvidia-ml.so.1 could not be loaded (") + (e ? e : "unknown") +
                      "): no NVIDIA driver is installed here";
      return;
    }
    bind(api.handle, api.init, "nvmlInit_v2");
    bind(api.handle, api.errorString, "nvmlErrorString");
    bind(api.handle, api.driverVersion, "nvmlSystemGetDriverVersion");
    bind(api.handle, api.cudaDriverVersion, "nvmlSystemGetCudaDriverVersion_v2");
    bind(api.handle, api.deviceCount, "nvmlDeviceGetCount_v2");
    bind(api.handle, api.handleByIndex, "nvmlDeviceGetHandleByIndex_v2");
    bind(api.handle, api.name, "nvmlDeviceGetName");
    bind(api.handle, api.uuid, "nvmlDeviceGetUUID");
    bind(api.handle, api.memory, "nvmlDeviceGetMemoryInfo");
    bind(api.handle, api.clock, "nvmlDeviceGetClockInfo");
    bind(api.handle, api.maxClock, "nvmlDeviceGetMaxClockInfo");
    bind(api.handle, api.computeMode, "nvmlDeviceGetComputeMode");
    bind(api.handle, api.migMode, "nvmlDeviceGetMigMode");
    bind(api.handle, api.persistence, "nvmlDeviceGetPersistenceMode");
    bind(api.handle, api.temperature, "nvmlDeviceGetTemperature");
    bind(api.handle, api.power, "nvmlDeviceGetPowerUsage");
    bind(api.handle, api.utilization, "nvmlDeviceGetUtilizationRates");
    bind(api.handle, api.eventReasons, "nvmlDeviceGetCurrentClocksEventReasons");
    if (api.eventReasons == nullptr) bind(api.handle, api.eventReasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
    if (api.init == nullptr || api.deviceCount == nullptr || api.handleByIndex == nullptr) {
      api.loadError = "libnvidia-ml.so.1 lacks nvmlInit_v2/nvmlDeviceGetCount_v2: the driver is too old";
      return;
    }
    api.initStatus = api.init();
    if (api.initStatus != kSuccess) {
      api.loadError = std::string("nvmlInit_v2 failed: ") +
                      (api.errorString ? api.errorString(api.initStatus) : std::to_string(api.initStatus));
    }
  });
  return api;
}

struct DeviceState {
  unsigned index = 0;
  std::string name, uuid;
  std::optional<unsigned long long> memTotal, memUsed;
  std::optional<unsigned> smClock, memClock, graphicsClock, maxSmClock, maxMemClock, temperature, powerMw;
  std::optional<unsigned> utilGpu, utilMemory;
  std::optional<int> computeMode, persistence;
  std::optional<unsigned> migCurrent, migPending;
  std::optional<unsigned long long> eventReasons;
};

struct Snapshot {
  bool available = false;
  std::string reason;
  std::string driverVersion;
  std::optional<int> cudaDriverVersion;
  std::vector<DeviceState> devices;
};


void take(Snapshot& s) {
  NvmlApi& api = nvml();
  if (!api.loadError.empty()) {
    s.reason = api.loadError;
    return;
  }
  char buf[128] = {0};
  if (api.driverVersion && api.driverVersion(buf, sizeof buf) == kSuccess) s.driverVersion = buf;
  int cudaVersion = 0;
  if (api.cudaDriverVersion && api.cudaDriverVersion(&cudaVersion) == kSuccess) s.cudaDriverVersion = cudaVersion;
  unsigned count = 0;
  if (api.deviceCount(&count) != kSuccess) {
    s.reason = "nvmlDeviceGetCount_v2 failed";
    return;
  }
  for (unsigned i = 0; i < count; ++i) {
    nvmlDevice_t dev = nullptr;
    if (api.handleByIndex(i, &dev) != kSuccess) continue;
    DeviceState d;
    d.index = i;
    if (api.name && api.name(dev, buf, sizeof buf) == kSuccess) d.name = buf;
    if (api.uuid && api.uuid(dev, buf, sizeof buf) == kSuccess) d.uuid = buf;
    nvmlMemory_t mem{};
    if (api.memory && api.memory(dev, &mem) == kSuccess) {
      d.memTotal = mem.total;
      d.memUsed = mem.used;
    }
    unsigned v = 0;
    auto clockOf = [&](decltype(api.clock) fn, int type, std::optional<unsigned>& out) {
      if (fn && fn(dev, type, &v) == kSuccess) out = v;
    };
    clockOf(api.clock, kClockSm, d.smClock);
    clockOf(api.clock, kClockMem, d.memClock);
    clockOf(api.clock, kClockGraphics, d.graphicsClock);
    clockOf(api.maxClock, kClockSm, d.maxSmClock);
    clockOf(api.maxClock, kClockMem, d.maxMemClock);
    if (api.temperature && api.temperature(dev, kTemperatureGpu, &v) == kSuccess) d.temperature = v;
    if (api.power && api.power(dev, &v) == kSuccess) d.powerMw = v;
    nvmlUtilization_t util{};
    if (api.utilization && api.utilization(dev, &util) == kSuccess) {
      d.utilGpu = util.gpu;
      d.utilMemory = util.memory;
    }
    int mode = 0;
    if (api.computeMode && api.computeMode(dev, &mode) == kSuccess) d.computeMode = mode;
    if (api.persistence && api.persistence(dev, &mode) == kSuccess) d.persistence = mode;
    unsigned current = 0, pending = 0;
    if (api.migMode && api.migMode(dev, &current, &pending) == kSuccess) {
      d.migCurrent = current;
      d.migPending = pending;
    }
    unsigned long long reasons = 0;
    if (api.eventReasons && api.eventReasons(dev, &reasons) == kSuccess) d.eventReasons = reasons;
    s.devices.push_back(d);
  }
  s.available = true;
}

const char* computeModeName(int mode) {
  switch (mode) {
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

Napi::Value NvmlSnapshot(const Napi::CallbackInfo& info) {
  auto snap = std::make_shared<Snapshot>();
  return PromiseWorker::Start(info.Env(), [snap]() { take(*snap); },
                              [snap](Napi::Env env) -> Napi::Value {
                                Napi::Object o = Napi::Object::New(env);
                                o.Set("available", snap->available);
                                if (!snap->reason.empty()) o.Set("reason", snap->reason);
                                if (!snap->driverVersion.empty()) o.Set("driverVersion", snap->driverVersion);
                                setIf(o, "cudaDriverVersion", snap->cudaDriverVersion);
                                Napi::Array list = Napi::Array::New(env, snap->devices.size());
                                for (size_t i = 0; i < snap->devices.size(); ++i) {
                                  const DeviceState& d = snap->devices[i];
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
                                  setIf(x, "utilizationGpuPct", d.utilGpu);
                                  setIf(x, "utilizationMemoryPct", d.utilMemory);
                                  if (d.computeMode) x.Set("computeMode", computeModeName(*d.computeMode));
                                  if (d.persistence) x.Set("persistenceMode", *d.persistence == 1);
                                  if (d.migCurrent) x.Set("migEnabled", *d.migCurrent == 1);
                                  if (d.migPending) x.Set("migPendingEnabled", *d.migPending == 1);
                                  setIf(x, "clocksEventReasons", d.eventReasons);
                                  list.Set(static_cast<uint32_t>(i), x);
                                }
                                o.Set("devices", list);
                                return o;
                              });
}

}  // namespace

void registerNvml(Napi::Env env, Napi::Object exports) {
  exports.Set("nvmlSnapshot", Napi::Function::New(env, NvmlSnapshot, "nvmlSnapshot"));
}

}  // namespace gsm
