#include "libraries/cupti_api.h"

#include <mutex>

namespace gsm {
namespace cupti {

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
    const OpenedLibrary opened = openFirst(
        toolkitCandidates({"libcupti.so.13", "libcupti.so.12", "libcupti.so"}, {"extras/CUPTI/lib64", "lib64"}));
    a.handle = opened.handle;
    a.file = opened.file;
    if (a.handle == nullptr) {
      a.unavailable = "libcupti could not be loaded (" + opened.tried.substr(0, 600) + ")";
      return;
    }
    void* h = a.handle;
    bindSymbol(h, a.getResultString, "cuptiGetResultString");
    bindSymbol(h, a.getTimestamp, "cuptiGetTimestamp");
    bindSymbol(h, a.activityRegisterCallbacks, "cuptiActivityRegisterCallbacks");
    bindSymbol(h, a.activityEnable, "cuptiActivityEnable");
    bindSymbol(h, a.activityDisable, "cuptiActivityDisable");
    bindSymbol(h, a.activityFlushAll, "cuptiActivityFlushAll");
    bindSymbol(h, a.activityGetNextRecord, "cuptiActivityGetNextRecord");
    bindSymbol(h, a.activityGetNumDroppedRecords, "cuptiActivityGetNumDroppedRecords");
    bindSymbol(h, a.profilerInitialize, "cuptiProfilerInitialize");
    bindSymbol(h, a.profilerDeInitialize, "cuptiProfilerDeInitialize");
    bindSymbol(h, a.profilerDeviceSupported, "cuptiProfilerDeviceSupported");
    bindSymbol(h, a.deviceGetChipName, "cuptiDeviceGetChipName");
    bindSymbol(h, a.hostInitialize, "cuptiProfilerHostInitialize");
    bindSymbol(h, a.hostDeinitialize, "cuptiProfilerHostDeinitialize");
    bindSymbol(h, a.hostConfigAddMetrics, "cuptiProfilerHostConfigAddMetrics");
    bindSymbol(h, a.hostGetConfigImageSize, "cuptiProfilerHostGetConfigImageSize");
    bindSymbol(h, a.hostGetConfigImage, "cuptiProfilerHostGetConfigImage");
    bindSymbol(h, a.hostGetNumOfPasses, "cuptiProfilerHostGetNumOfPasses");
    bindSymbol(h, a.hostEvaluateToGpuValues, "cuptiProfilerHostEvaluateToGpuValues");
    bindSymbol(h, a.pmGetCounterAvailability, "cuptiPmSamplingGetCounterAvailability");
    bindSymbol(h, a.pmEnable, "cuptiPmSamplingEnable");
    bindSymbol(h, a.pmDisable, "cuptiPmSamplingDisable");
    bindSymbol(h, a.pmSetConfig, "cuptiPmSamplingSetConfig");
    bindSymbol(h, a.pmStart, "cuptiPmSamplingStart");
    bindSymbol(h, a.pmStop, "cuptiPmSamplingStop");
    bindSymbol(h, a.pmDecodeData, "cuptiPmSamplingDecodeData");
    bindSymbol(h, a.pmGetCounterDataSize, "cuptiPmSamplingGetCounterDataSize");
    bindSymbol(h, a.pmCounterDataImageInitialize, "cuptiPmSamplingCounterDataImageInitialize");
    bindSymbol(h, a.pmGetCounterDataInfo, "cuptiPmSamplingGetCounterDataInfo");
    bindSymbol(h, a.pmGetSampleInfo, "cuptiPmSamplingCounterDataGetSampleInfo");
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
    case CUPTI_ERROR_VIRTUALIZED_DEVICE_INSUFFICIENT_PRIVILEGES:
      return "CUPTI_ERROR_VIRTUALIZED_DEVICE_INSUFFICIENT_PRIVILEGES";
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
      return "GPU performance counters are restricted to administrators here (NVreg_RestrictProfilingToAdminUsers=1); "
             "run as root or lift the restriction";
    case CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED:
    case CUPTI_ERROR_HARDWARE_BUSY:
      return "another profiler (Nsight Systems, Nsight Compute, DCGM profiling, another CUPTI client) is using the "
             "GPU's counters or CUPTI in this process";
    case CUPTI_ERROR_OLD_PROFILER_API_INITIALIZED:
      return "the legacy CUPTI event/metric API is already in use in this process";
    case CUPTI_ERROR_MIG_DEVICE_NOT_SUPPORTED: return "CUPTI does not support this on a MIG instance";
    case CUPTI_ERROR_VIRTUALIZED_DEVICE_NOT_SUPPORTED: return "CUPTI does not support this on a virtualised GPU";
    case CUPTI_ERROR_CONFIDENTIAL_COMPUTING_NOT_SUPPORTED:
      return "CUPTI does not support this with confidential computing on";
    case CUPTI_ERROR_NOT_SUPPORTED:
    case CUPTI_ERROR_LEGACY_PROFILER_NOT_SUPPORTED: return "this GPU or driver does not support it";
    case CUPTI_ERROR_NOT_INITIALIZED:
    case CUPTI_ERROR_INVALID_DEVICE:
      return "CUPTI could not initialise: no usable GPU, or the driver is too old for this CUPTI";
    case CUPTI_ERROR_INVALID_METRIC_NAME: return "this GPU has no such metric";
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
