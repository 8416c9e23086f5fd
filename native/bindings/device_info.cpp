#include "bindings/device_info.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>
#include <cuda_runtime_api.h>
#include "core/async.h"
#include "libraries/driver_api.h"
#include "core/errors.h"

#ifndef GSM_CUDA_ARCHITECTURES
#define GSM_CUDA_ARCHITECTURES "unknown"
#endif
#ifndef GSM_ADDON_VERSION
#define GSM_ADDON_VERSION "0.0.0"
#endif

namespace gsm {
namespace {

// The device's stream priority range. The query needs a context: the primary context is retained
// for it and released again, so no context is left behind in a process that only asked for facts.
bool streamPriorityRange(int device, int& least, int& greatest) {
  const DriverApi& cu = driverApi();
  if (!cu.deviceGet || !cu.primaryCtxRetain || !cu.primaryCtxRelease || !cu.ctxPushCurrent || !cu.ctxPopCurrent ||
      !cu.ctxGetStreamPriorityRange) {
    return false;
  }
  CUdevice dev = 0;
  CUcontext ctx = nullptr;
  if (cu.deviceGet(&dev, device) != CUDA_SUCCESS || cu.primaryCtxRetain(&ctx, dev) != CUDA_SUCCESS) return false;
  bool ok = false;
  if (cu.ctxPushCurrent(ctx) == CUDA_SUCCESS) {
    ok = cu.ctxGetStreamPriorityRange(&least, &greatest) == CUDA_SUCCESS;
    CUcontext popped = nullptr;
    cu.ctxPopCurrent(&popped);
  }
  cu.primaryCtxRelease(dev);
  return ok;
}

struct DeviceFacts {
  int index = 0;
  std::string name, uuid, pciBusId;
  int major = 0, minor = 0, smCount = 0, computeMode = 0;
  int leastPriority = 0, greatestPriority = 0;  // numerically: greatest <= least
  bool prioritiesKnown = false;
  size_t totalMemory = 0, l2Bytes = 0, sharedPerSm = 0;
};

struct DevicesReport {
  bool available = false;
  FailureInfo failure;
  int driverVersion = 0, runtimeVersion = 0;
  std::vector<DeviceFacts> devices;
};

std::string formatUuid(const cudaUUID_t& u) {
  const auto* b = reinterpret_cast<const unsigned char*>(u.bytes);
  char s[64];
  std::snprintf(s, sizeof s, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return s;
}

const char* computeModeName(int mode) {
  switch (mode) {
    case cudaComputeModeDefault: return "default";
    case cudaComputeModeProhibited: return "prohibited";
    case cudaComputeModeExclusiveProcess: return "exclusive-process";
    default: return "unknown";
  }
}

void collect(DevicesReport& r) {
  cudaDriverGetVersion(&r.driverVersion);
  cudaRuntimeGetVersion(&r.runtimeVersion);
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    r.failure = cudaFailure(status, "cudaGetDeviceCount(&count)", __FILE__, __LINE__);
    return;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p{};
    GSM_CUDA(cudaGetDeviceProperties(&p, i));
    DeviceFacts d;
    d.index = i;
    d.name = p.name;
    d.uuid = formatUuid(p.uuid);
    char bus[32] = {0};
    if (cudaDeviceGetPCIBusId(bus, sizeof bus, i) == cudaSuccess) d.pciBusId = bus;
    d.major = p.major;
    d.minor = p.minor;
    d.smCount = p.multiProcessorCount;
    d.totalMemory = p.totalGlobalMem;
    d.l2Bytes = static_cast<size_t>(p.l2CacheSize);
    d.sharedPerSm = p.sharedMemPerMultiprocessor;
    GSM_CUDA(cudaDeviceGetAttribute(&d.computeMode, cudaDevAttrComputeMode, i));
    d.prioritiesKnown = streamPriorityRange(i, d.leastPriority, d.greatestPriority);
    r.devices.push_back(d);
  }
  r.available = count > 0;
}

Napi::Value CudaDevices(const Napi::CallbackInfo& info) {
  auto report = std::make_shared<DevicesReport>();
  return PromiseWorker::Start(
      info.Env(), [report]() { collect(*report); },
      [report](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("available", report->available);
        o.Set("driverVersion", report->driverVersion);
        o.Set("runtimeVersion", report->runtimeVersion);
        if (!report->available && !report->failure.message.empty()) {
          o.Set("error", toJsError(env, report->failure).Value());
        }
        Napi::Array list = Napi::Array::New(env, report->devices.size());
        for (size_t i = 0; i < report->devices.size(); ++i) {
          const DeviceFacts& d = report->devices[i];
          Napi::Object x = Napi::Object::New(env);
          x.Set("index", d.index);
          x.Set("name", d.name);
          x.Set("uuid", d.uuid);
          x.Set("pciBusId", d.pciBusId);
          x.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
          x.Set("smCount", d.smCount);
          x.Set("memoryBytes", static_cast<double>(d.totalMemory));
          x.Set("l2Bytes", static_cast<double>(d.l2Bytes));
          x.Set("sharedMemoryPerSmBytes", static_cast<double>(d.sharedPerSm));
          x.Set("computeMode", computeModeName(d.computeMode));
          if (d.prioritiesKnown) {
            Napi::Object range = Napi::Object::New(env);
            range.Set("least", d.leastPriority);
            range.Set("greatest", d.greatestPriority);
            x.Set("streamPriorities", range);
          }
          list.Set(static_cast<uint32_t>(i), x);
        }
        o.Set("devices", list);
        return o;
      });
}

Napi::Value AddonInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", GSM_ADDON_VERSION);
  o.Set("napiVersion", NAPI_VERSION);
  o.Set("cudaRuntimeVersion", CUDART_VERSION);
  o.Set("cudaArchitectures", GSM_CUDA_ARCHITECTURES);
  o.Set("intervalBytes", 16);
  return o;
}

}  // namespace

void registerDeviceInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaDevices", Napi::Function::New(env, CudaDevices, "cudaDevices"));
  exports.Set("addonInfo", Napi::Function::New(env, AddonInfo, "addonInfo"));
}

}  // namespace gsm
