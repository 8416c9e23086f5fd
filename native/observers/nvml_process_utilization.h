// Per-process utilisation through NVML: the samples NVML took of each process's SM and memory
// (frame buffer) use since a time stamp. NVML keeps a short history of these per device; a process
// that did no work in that time has no sample. No N-API in here (native/bindings/nvml_binding.cpp).
#pragma once

#include <string>
#include <vector>
#include "libraries/nvml_api.h"

namespace gsm {

struct ProcessUtilization {
  unsigned pid = 0;
  unsigned long long timeStampUs = 0;  // NVML's CPU time stamp of the sample, microseconds
  unsigned smPct = 0, memPct = 0, encPct = 0, decPct = 0;
};

struct ProcessUtilizationReading {
  bool reported = false;  // false: NVML does not report per-process utilisation here (`reason` says why)
  std::string reason;
  std::string source;  // the NVML function that answered
  std::vector<ProcessUtilization> samples;  // empty when no process was sampled since the time stamp
};

// The samples of device `index` after `sinceUs` (0: all NVML still holds); never throws.
// nvmlDeviceGetProcessesUtilizationInfo where the driver has it, else nvmlDeviceGetProcessUtilization.
// NVML_ERROR_NOT_FOUND means no sample since the time stamp: reported, with no samples.
ProcessUtilizationReading readProcessUtilization(unsigned index, unsigned long long sinceUs);

}  // namespace gsm
