// CUPTI, loaded with dlopen at run time: libcupti.so.13, .so.12, .so, then the toolkit's
// extras/CUPTI/lib64 under $CUDA_HOME and /usr/local/cuda. The types come from the CUPTI headers of
// the toolkit (cupti_activity.h, cupti_pmsampling.h, cupti_profiler_host.h, ...); nothing is linked,
// so the addon loads where CUPTI is missing and says so when asked for it.
#pragma once

#include <cupti_activity.h>
#include <cupti_pmsampling.h>
#include <cupti_profiler_host.h>
#include <cupti_profiler_target.h>
#include <cupti_result.h>
#include <cupti_target.h>
#include <string>
#include "libraries/shared_library.h"

namespace gsm {
namespace cupti {

// `unavailable` is empty when libcupti is loaded (its parts may still be missing: hasActivity(),
// hasPmSampling()).
struct Api : LoadedLibrary {
  decltype(&cuptiGetResultString) getResultString = nullptr;
  decltype(&cuptiGetTimestamp) getTimestamp = nullptr;
  // Activity API
  decltype(&cuptiActivityRegisterCallbacks) activityRegisterCallbacks = nullptr;
  decltype(&cuptiActivityEnable) activityEnable = nullptr;
  decltype(&cuptiActivityDisable) activityDisable = nullptr;
  decltype(&cuptiActivityFlushAll) activityFlushAll = nullptr;
  decltype(&cuptiActivityGetNextRecord) activityGetNextRecord = nullptr;
  decltype(&cuptiActivityGetNumDroppedRecords) activityGetNumDroppedRecords = nullptr;
  // Profiler target and host API (PM sampling)
  decltype(&cuptiProfilerInitialize) profilerInitialize = nullptr;
  decltype(&cuptiProfilerDeInitialize) profilerDeInitialize = nullptr;
  decltype(&cuptiProfilerDeviceSupported) profilerDeviceSupported = nullptr;
  decltype(&cuptiDeviceGetChipName) deviceGetChipName = nullptr;
  decltype(&cuptiProfilerHostInitialize) hostInitialize = nullptr;
  decltype(&cuptiProfilerHostDeinitialize) hostDeinitialize = nullptr;
  decltype(&cuptiProfilerHostConfigAddMetrics) hostConfigAddMetrics = nullptr;
  decltype(&cuptiProfilerHostGetConfigImageSize) hostGetConfigImageSize = nullptr;
  decltype(&cuptiProfilerHostGetConfigImage) hostGetConfigImage = nullptr;
  decltype(&cuptiProfilerHostGetNumOfPasses) hostGetNumOfPasses = nullptr;
  decltype(&cuptiProfilerHostEvaluateToGpuValues) hostEvaluateToGpuValues = nullptr;
  decltype(&cuptiPmSamplingGetCounterAvailability) pmGetCounterAvailability = nullptr;
  decltype(&cuptiPmSamplingEnable) pmEnable = nullptr;
  decltype(&cuptiPmSamplingDisable) pmDisable = nullptr;
  decltype(&cuptiPmSamplingSetConfig) pmSetConfig = nullptr;
  decltype(&cuptiPmSamplingStart) pmStart = nullptr;
  decltype(&cuptiPmSamplingStop) pmStop = nullptr;
  decltype(&cuptiPmSamplingDecodeData) pmDecodeData = nullptr;
  decltype(&cuptiPmSamplingGetCounterDataSize) pmGetCounterDataSize = nullptr;
  decltype(&cuptiPmSamplingCounterDataImageInitialize) pmCounterDataImageInitialize = nullptr;
  decltype(&cuptiPmSamplingGetCounterDataInfo) pmGetCounterDataInfo = nullptr;
  decltype(&cuptiPmSamplingCounterDataGetSampleInfo) pmGetSampleInfo = nullptr;

  bool hasActivity() const;
  bool hasPmSampling() const;
};

// Loads CUPTI once per process.
Api& api();

// The CUptiResult's enum name, e.g. "CUPTI_ERROR_INSUFFICIENT_PRIVILEGES".
const char* resultName(CUptiResult status);

// A plain sentence for the errors that mean "not permitted here" rather than "broken".
std::string plainReason(CUptiResult status);

}  // namespace cupti
}  // namespace gsm
