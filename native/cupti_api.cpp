#include "cupti_api.h"

#include <dlfcn.h>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace gsm {
namespace cupti {
namespace {

template <typename F>
void bind(void* lib, F& fn, const char* symbol) {
  fn = reinterpret_cast<F>(dlsym(lib, symbol));
}

std::vector<std::string> candidates() {
  std::vector<std::string> out = {"libcupti.so.13", "libcupti.so.12", "libcupti.so"};
  std::vector<std::string> roots;
  if (const char* home = std::getenv("CUDA_HOME")) roots.push_back(home);
  if (const char* path = std::getenv("CUDA_PATH")) roots.push_back(path);
  roots.push_back("/usr/local/cuda");
  for (const auto& root : roots) {
    for (const char* sub : {"/extras/CUPTI/lib64/", "/lib64/"}) {
      for (const char* lib : {"libcupti.so.13", "libcupti.so.12", "libcupti.so"}) out.push_back(root + sub + lib);
    }
  }
  return out;
}

}  // namespace

bool Api::hasActivity() const {
  return activityRegisterCallbacks && activityEnable && activityDisable && activityFlushAll && activityGetNextRecord &&
         getTimestamp;
}

bool Api::hasPmSampling() const {
  return profilerInitialize && deviceGetChipName && hostInitialize && hostConfigAddMetrics && hostGetConfigImageSize &&
         hostGetConfigImage && hostGetNumOfPasses && hostEvaluateToGpuValues && pmGetCounterAvailability && pmEnable &&
         pmDisable && pmSetConfig && pmStart && pmStop && pmDecodeData && pmGetCounterDataSize &&
         pmCounterDataImageInitialize && pmGetCounterDataInfo && pmGetSampleInfo;
}

Api& api() {
  static Api a;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string tried;
    for (const std::string& name : candidates()) {
      a.handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (a.handle != nullptr) {
        a.path = name;
        break;
      }
      const char* e = dlerror();
      if (tried.size() < 600) tried += (tried.empty() ? "" : "; ") + (e ? std::string(e) : name);
    }
    if (a.handle == nullptr) {
      a.unavailable = "libcupti could not be loaded (" + tried + ")";
      return;
    }
    void* h = a.handle;
    bind(h, a.getResultString, "cuptiGetResultString");
    bind(h, a.getTimestamp, "cuptiGetTimestamp");
    bind(h, a.activityRegisterCallbacks, "cuptiActivityRegisterCallbacks");
    bind(h, a.activityEnable, "cuptiActivityEnable");
    bind(h, a.activityDisable, "cuptiActivityDisable");
    bind(h, a.activityFlushAll, "cuptiActivityFlushAll");
    bind(h, a.activityGetNextRecord, "cuptiActivityGetNextRecord");
    bind(h, a.activityGetNumDroppedRecords, "cuptiActivityGetNumDroppedRecords");
    bind(h, a.profilerInitialize, "cuptiProfilerInitialize");
    bind(h, a.profilerDeInitialize, "cuptiProfilerDeInitialize");
    bind(h, a.profilerDeviceSupported, "cuptiProfilerDeviceSupported");
    bind(h, a.deviceGetChipName, "cuptiDeviceGetChipName");
    bind(h, a.hostInitialize, "cuptiProfilerHostInitialize");
    bind(h, a.hostDeinitialize, "cuptiProfilerHostDeinitialize");
    bind(h, a.hostConfigAddMetrics, "cuptiProfilerHostConfigAddMetrics");
    bind(h, a.hostGetConfigImageSize, "cuptiProfilerHostGetConfigImageSize");
    bind(h, a.hostGetConfigImage, "cuptiProfilerHostGetConfigImage");
    bind(h, a.hostGetNumOfPasses, "cuptiProfilerHostGetNumOfPasses");
    bind(h, a.hostEvaluateToGpuValues, "cuptiProfilerHostEvaluateToGpuValues");
    bind(h, a.pmGetCounterAvailability, "cuptiPmSamplingGetCounterAvailability");
    bind(h, a.pmEnable, "cuptiPmSamplingEnable");
    bind(h, a.pmDisable, "cuptiPmSamplingDisable");
    bind(h, a.pmSetConfig, "cuptiPmSamplingSetConfig");
    bind(h, a.pmStart, "cuptiPmSamplingStart");
    bind(h, a.pmStop, "cuptiPmSamplingStop");
    bind(h, a.pmDecodeData, "cuptiPmSamplingDecodeData");
    bind(h, a.pmGetCounterDataSize, "cuptiPmSamplingGetCounterDataSize");
    bind(h, a.pmCounterDataImageInitialize, "cuptiPmSamplingCounterDataImageInitialize");
    bind(h, a.pmGetCounterDataInfo, "cuptiPmSamplingGetCounterDataInfo");
    bind(h, a.pmGetSampleInfo, "cuptiPmSamplingCounterDataGetSampleInfo");
  });
  return a;
}

const char* resultName(CUptiResult status) {
  switch (status) {  // CUptiResult, cupti_result.h
    case CUPTI_SUCCESS: return "CUPTI_SUCCESS";
    case CUPTI_ERROR_INVALID_PARAMETER: return "CUPTI_ERROR_INVALID_PARAMETER";
    case CUPTI_ERROR_INVALID_DEVICE: return "CUPTI_ERROR_INVALID_DEVICE";
    case CUPTI_ERROR_INVALID_CONTEXT: return "CUPTI_ERROR_INVALID_CONTEXT";
    case CUPTI_ERROR_INVALID_OPERATION: return "CUPTI_ERROR_INVALID_OPERATION";
    case CUPTI_ERROR_OUT_OF_MEMORY: return "CUPTI_ERROR_OUT_OF_MEMORY";
    case CUPTI_ERROR_HARDWARE: return "CUPTI_ERROR_HARDWARE";
    case CUPTI_ERROR_API_NOT_IMPLEMENTED: return "CUPTI_ERROR_API_NOT_IMPLEMENTED";
    case CUPTI_ERROR_MAX_LIMIT_REACHED: return "CUPTI_ERROR_MAX_LIMIT_REACHED";
    case CUPTI_ERROR_NOT_READY: return "CUPTI_ERROR_NOT_READY";
    case CUPTI_ERROR_NOT_COMPATIBLE: return "CUPTI_ERROR_NOT_COMPATIBLE";
    case CUPTI_ERROR_NOT_INITIALIZED: return "CUPTI_ERROR_NOT_INITIALIZED";
    case CUPTI_ERROR_INVALID_METRIC_NAME: return "CUPTI_ERROR_INVALID_METRIC_NAME";
    case CUPTI_ERROR_QUEUE_EMPTY: return "CUPTI_ERROR_QUEUE_EMPTY";
    case CUPTI_ERROR_INVALID_KIND: return "CUPTI_ERROR_INVALID_KIND";
    case CUPTI_ERROR_DISABLED: return "CUPTI_ERROR_DISABLED";
    case CUPTI_ERROR_HARDWARE_BUSY: return "CUPTI_ERROR_HARDWARE_BUSY";
    case CUPTI_ERROR_NOT_SUPPORTED: return "CUPTI_ERROR_NOT_SUPPORTED";
    case CUPTI_ERROR_VIRTUALIZED_DEVICE_NOT_SUPPORTED: return "CUPTI_ERROR_VIRTUALIZED_DEVICE_NOT_SUPPORTED";
    case CUPTI_ERROR_INSUFFICIENT_PRIVILEGES: return "CUPTI_ERROR_INSUFFICIENT_PRIVILEGES";
    case CUPTI_ERROR_OLD_PROFILER_API_INITIALIZED: return "CUPTI_ERROR_OLD_PROFILER_API_INITIALIZED";
    case CUPTI_ERROR_LEGACY_PROFILER_NOT_SUPPORTED: return "CUPTI_ERROR_LEGACY_PROFILER_NOT_SUPPORTED";
    case CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED: return "CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED";
    case CUPTI_ERROR_VIRTUALIZED_DEVICE_INSUFFICIENT_PRIVILEGES: return "CUPTI_ERROR_VIRTUALIZED_DEVICE_INSUFFICIENT_PRIVILEGES";
    case CUPTI_ERROR_CONFIDENTIAL_COMPUTING_NOT_SUPPORTED: return "CUPTI_ERROR_CONFIDENTIAL_COMPUTING_NOT_SUPPORTED";
    case CUPTI_ERROR_CMP_DEVICE_NOT_SUPPORTED: return "CUPTI_ERROR_CMP_DEVICE_NOT_SUPPORTED";
    case CUPTI_ERROR_MIG_DEVICE_NOT_SUPPORTED: return "CUPTI_ERROR_MIG_DEVICE_NOT_SUPPORTED";
    case CUPTI_ERROR_SLI_DEVICE_NOT_SUPPORTED: return "CUPTI_ERROR_SLI_DEVICE_NOT_SUPPORTED";
    case CUPTI_ERROR_WSL_DEVICE_NOT_SUPPORTED: return "CUPTI_ERROR_WSL_DEVICE_NOT_SUPPORTED";
    case CUPTI_ERROR_INVALID_CHIP_NAME: return "CUPTI_ERROR_INVALID_CHIP_NAME";
    case CUPTI_ERROR_UNKNOWN: return "CUPTI_ERROR_UNKNOWN";
    default: return "CUPTI_ERROR";
  }
}

std::string plainReason(CUptiResult status) {
  switch (status) {
    case CUPTI_ERROR_INSUFFICIENT_PRIVILEGES:
    case CUPTI_ERROR_VIRTUALIZED_DEVICE_INSUFFICIENT_PRIVILEGES:
      return "GPU performance counters are restricted to administrators here (NVreg_RestrictProfilingToAdminUsers=1); run as root or lift the restriction";
    case CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED:
    case CUPTI_ERROR_HARDWARE_BUSY:
      return "another profiler (Nsight Systems, Nsight Compute, DCGM profiling, another CUPTI client) is using the GPU's counters or CUPTI in this process";
    case CUPTI_ERROR_OLD_PROFILER_API_INITIALIZED:
      return "the legacy CUPTI event/metric API is already in use in this process";
    case CUPTI_ERROR_MIG_DEVICE_NOT_SUPPORTED:
      return "CUPTI does not support this on a MIG instance";
    case CUPTI_ERROR_VIRTUALIZED_DEVICE_NOT_SUPPORTED:
      return "CUPTI does not support this on a virtualised GPU";
    case CUPTI_ERROR_CONFIDENTIAL_COMPUTING_NOT_SUPPORTED:
      return "CUPTI does not support this with confidential computing on";
    case CUPTI_ERROR_NOT_SUPPORTED:
    case CUPTI_ERROR_LEGACY_PROFILER_NOT_SUPPORTED:
      return "this GPU or driver does not support it";
    case CUPTI_ERROR_NOT_INITIALIZED:
    case CUPTI_ERROR_INVALID_DEVICE:
      return "CUPTI could not initialise: no usable GPU, or the driver is too old for this CUPTI";
    case CUPTI_ERROR_INVALID_METRIC_NAME:
      return "this GPU has no such metric";
    default: {
      const char* s = nullptr;
      Api& a = api();
      if (a.getResultString && a.getResultString(status, &s) == CUPTI_SUCCESS && s) return s;
      return "CUPTI failed";
    }
  }
}

}  // namespace cupti
}  // namespace gsm
