#include "nvml_api.h"

#include <dlfcn.h>
#include <mutex>

namespace gsm {
namespace nvml {
namespace {

template <typename F>
void bind(void* lib, F& fn, const char* symbol) {
  fn = reinterpret_cast<F>(dlsym(lib, symbol));
}

const char* errorName(Return status) {
  switch (status) {  // nvmlReturn_t names, nvml.h
    case 0: return "NVML_SUCCESS";
    case 1: return "NVML_ERROR_UNINITIALIZED";
    case 2: return "NVML_ERROR_INVALID_ARGUMENT";
    case 3: return "NVML_ERROR_NOT_SUPPORTED";
    case 4: return "NVML_ERROR_NO_PERMISSION";
    case 6: return "NVML_ERROR_NOT_FOUND";
    case 7: return "NVML_ERROR_INSUFFICIENT_SIZE";
    case 9: return "NVML_ERROR_DRIVER_NOT_LOADED";
    case 10: return "NVML_ERROR_TIMEOUT";
    case 12: return "NVML_ERROR_LIBRARY_NOT_FOUND";
    case 13: return "NVML_ERROR_FUNCTION_NOT_FOUND";
    case 15: return "NVML_ERROR_GPU_IS_LOST";
    case 17: return "NVML_ERROR_OPERATING_SYSTEM";
    case 18: return "NVML_ERROR_LIB_RM_VERSION_MISMATCH";
    case 19: return "NVML_ERROR_IN_USE";
    case 21: return "NVML_ERROR_NO_DATA";
    case 25: return "NVML_ERROR_ARGUMENT_VERSION_MISMATCH";
    case 999: return "NVML_ERROR_UNKNOWN";
    default: return "NVML_ERROR";
  }
}

std::string describeWith(const Api& a, Return status) {
  std::string out = errorName(status);
  if (a.errorString != nullptr) out += std::string(" (") + a.errorString(status) + ")";
  else out += " (" + std::to_string(status) + ")";
  return out;
}

}  // namespace

std::string describe(Return status) { return describeWith(api(), status); }

Api& api() {
  static Api a;
  static std::once_flag once;
  std::call_once(once, [] {
    a.handle = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (a.handle == nullptr) {
      const char* e = dlerror();
      a.unavailable = std::string("libnvidia-ml.so.1 could not be loaded (") + (e ? e : "unknown") +
                      "): no NVIDIA driver is installed here";
      return;
    }
    void* h = a.handle;
    bind(h, a.init, "nvmlInit_v2");
    bind(h, a.errorString, "nvmlErrorString");
    bind(h, a.driverVersion, "nvmlSystemGetDriverVersion");
    bind(h, a.cudaDriverVersion, "nvmlSystemGetCudaDriverVersion_v2");
    bind(h, a.deviceCount, "nvmlDeviceGetCount_v2");
    bind(h, a.handleByIndex, "nvmlDeviceGetHandleByIndex_v2");
    bind(h, a.name, "nvmlDeviceGetName");
    bind(h, a.uuid, "nvmlDeviceGetUUID");
    bind(h, a.memory, "nvmlDeviceGetMemoryInfo");
    bind(h, a.clock, "nvmlDeviceGetClockInfo");
    bind(h, a.maxClock, "nvmlDeviceGetMaxClockInfo");
    bind(h, a.computeMode, "nvmlDeviceGetComputeMode");
    bind(h, a.migMode, "nvmlDeviceGetMigMode");
    bind(h, a.persistence, "nvmlDeviceGetPersistenceMode");
    bind(h, a.temperature, "nvmlDeviceGetTemperature");
    bind(h, a.power, "nvmlDeviceGetPowerUsage");
    bind(h, a.powerLimit, "nvmlDeviceGetEnforcedPowerLimit");
    bind(h, a.energy, "nvmlDeviceGetTotalEnergyConsumption");
    bind(h, a.utilization, "nvmlDeviceGetUtilizationRates");
    bind(h, a.eventReasons, "nvmlDeviceGetCurrentClocksEventReasons");
    if (a.eventReasons == nullptr) bind(h, a.eventReasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
    bind(h, a.eccMode, "nvmlDeviceGetEccMode");
    bind(h, a.eccErrors, "nvmlDeviceGetTotalEccErrors");
    bind(h, a.computeProcesses, "nvmlDeviceGetComputeRunningProcesses_v3");
    bind(h, a.mpsProcesses, "nvmlDeviceGetMPSComputeRunningProcesses_v3");
    bind(h, a.processName, "nvmlSystemGetProcessName");
    bind(h, a.maxMigDeviceCount, "nvmlDeviceGetMaxMigDeviceCount");
    bind(h, a.migDeviceByIndex, "nvmlDeviceGetMigDeviceHandleByIndex");
    bind(h, a.gpuInstanceId, "nvmlDeviceGetGpuInstanceId");
    bind(h, a.supportedEventTypes, "nvmlDeviceGetSupportedEventTypes");
    bind(h, a.eventSetCreate, "nvmlEventSetCreate");
    bind(h, a.registerEvents, "nvmlDeviceRegisterEvents");
    bind(h, a.eventSetWait, "nvmlEventSetWait_v2");
    bind(h, a.eventSetFree, "nvmlEventSetFree");
    bind(h, a.gpmQuerySupport, "nvmlGpmQueryDeviceSupport");
    bind(h, a.gpmSampleAlloc, "nvmlGpmSampleAlloc");
    bind(h, a.gpmSampleFree, "nvmlGpmSampleFree");
    bind(h, a.gpmSampleGet, "nvmlGpmSampleGet");
    bind(h, a.gpmMigSampleGet, "nvmlGpmMigSampleGet");
    bind(h, a.gpmMetricsGet, "nvmlGpmMetricsGet");
    if (a.init == nullptr || a.deviceCount == nullptr || a.handleByIndex == nullptr) {
      a.unavailable = "libnvidia-ml.so.1 lacks nvmlInit_v2/nvmlDeviceGetCount_v2: the driver is too old";
      return;
    }
    const Return status = a.init();
    if (status != kSuccess) a.unavailable = "nvmlInit_v2 failed: " + describeWith(a, status);
  });
  return a;
}

}  // namespace nvml
}  // namespace gsm
