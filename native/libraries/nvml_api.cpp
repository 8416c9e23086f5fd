#include "libraries/nvml_api.h"

#include <mutex>

namespace gsm {
namespace nvml {
namespace {

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
  if (a.errorString != nullptr)
    out += std::string(" (") + a.errorString(status) + ")";
  else
    out += " (" + std::to_string(status) + ")";
  return out;
}

}  // namespace

std::string describe(Return status) { return describeWith(api(), status); }

Api& api() {
  static Api a;
  static std::once_flag once;
  std::call_once(once, [] {
    const OpenedLibrary opened = openFirst({"libnvidia-ml.so.1"});  // comes with the driver, on the loader's path
    a.handle = opened.handle;
    a.file = opened.file;
    if (a.handle == nullptr) {
      a.unavailable =
          "libnvidia-ml.so.1 could not be loaded (" + opened.tried + "): no NVIDIA driver is installed here";
      return;
    }
    void* h = a.handle;
    bindSymbol(h, a.init, "nvmlInit_v2");
    bindSymbol(h, a.errorString, "nvmlErrorString");
    bindSymbol(h, a.driverVersion, "nvmlSystemGetDriverVersion");
    bindSymbol(h, a.cudaDriverVersion, "nvmlSystemGetCudaDriverVersion_v2");
    bindSymbol(h, a.deviceCount, "nvmlDeviceGetCount_v2");
    bindSymbol(h, a.handleByIndex, "nvmlDeviceGetHandleByIndex_v2");
    bindSymbol(h, a.name, "nvmlDeviceGetName");
    bindSymbol(h, a.uuid, "nvmlDeviceGetUUID");
    bindSymbol(h, a.memory, "nvmlDeviceGetMemoryInfo");
    bindSymbol(h, a.clock, "nvmlDeviceGetClockInfo");
    bindSymbol(h, a.maxClock, "nvmlDeviceGetMaxClockInfo");
    bindSymbol(h, a.computeMode, "nvmlDeviceGetComputeMode");
    bindSymbol(h, a.migMode, "nvmlDeviceGetMigMode");
    bindSymbol(h, a.persistence, "nvmlDeviceGetPersistenceMode");
    bindSymbol(h, a.temperature, "nvmlDeviceGetTemperature");
    bindSymbol(h, a.power, "nvmlDeviceGetPowerUsage");
    bindSymbol(h, a.powerLimit, "nvmlDeviceGetEnforcedPowerLimit");
    bindSymbol(h, a.energy, "nvmlDeviceGetTotalEnergyConsumption");
    bindSymbol(h, a.utilization, "nvmlDeviceGetUtilizationRates");
    bindSymbol(h, a.eventReasons, "nvmlDeviceGetCurrentClocksEventReasons");
    if (a.eventReasons == nullptr) bindSymbol(h, a.eventReasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
    bindSymbol(h, a.eccMode, "nvmlDeviceGetEccMode");
    bindSymbol(h, a.eccErrors, "nvmlDeviceGetTotalEccErrors");
    bindSymbol(h, a.computeProcesses, "nvmlDeviceGetComputeRunningProcesses_v3");
    bindSymbol(h, a.mpsProcesses, "nvmlDeviceGetMPSComputeRunningProcesses_v3");
    bindSymbol(h, a.processName, "nvmlSystemGetProcessName");
    bindSymbol(h, a.processUtilization, "nvmlDeviceGetProcessUtilization");
    bindSymbol(h, a.processesUtilizationInfo, "nvmlDeviceGetProcessesUtilizationInfo");
    bindSymbol(h, a.maxMigDeviceCount, "nvmlDeviceGetMaxMigDeviceCount");
    bindSymbol(h, a.migDeviceByIndex, "nvmlDeviceGetMigDeviceHandleByIndex");
    bindSymbol(h, a.gpuInstanceId, "nvmlDeviceGetGpuInstanceId");
    bindSymbol(h, a.supportedEventTypes, "nvmlDeviceGetSupportedEventTypes");
    bindSymbol(h, a.eventSetCreate, "nvmlEventSetCreate");
    bindSymbol(h, a.registerEvents, "nvmlDeviceRegisterEvents");
    bindSymbol(h, a.eventSetWait, "nvmlEventSetWait_v2");
    bindSymbol(h, a.eventSetFree, "nvmlEventSetFree");
    bindSymbol(h, a.gpmQuerySupport, "nvmlGpmQueryDeviceSupport");
    bindSymbol(h, a.gpmSampleAlloc, "nvmlGpmSampleAlloc");
    bindSymbol(h, a.gpmSampleFree, "nvmlGpmSampleFree");
    bindSymbol(h, a.gpmSampleGet, "nvmlGpmSampleGet");
    bindSymbol(h, a.gpmMigSampleGet, "nvmlGpmMigSampleGet");
    bindSymbol(h, a.gpmMetricsGet, "nvmlGpmMetricsGet");
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
