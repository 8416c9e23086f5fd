// CUPTI kernel activity in one process: every kernel that runs between activityStart() and
// activityStop() (CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, so library kernels such as cuBLAS's too)
// with its start and end on CUPTI's clock, name, stream, grid, block, device and correlation id.
// Clock readings at start and stop pair CUPTI's clock with the host's CLOCK_MONOTONIC and the GPU's
// %globaltimer, so records of several processes can be merged onto one timeline. CUPTI's activity
// API is per process, so there is one collection at a time. No N-API in here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>
#include "observers/clock_pair.h"

namespace gsm {

struct ActivityConfig {
  int device = 0;
  bool globalTimer = true;        // read %globaltimer at start and stop (needs the device's context)
  size_t maxRecords = 2000000;    // kernel records kept; more are counted as dropped
};

struct KernelActivityRecords {
  bool available = false;
  std::string reason;       // why CUPTI could not be used
  std::string cuptiError;   // the CUptiResult name, when CUPTI refused
  std::string library;      // the libcupti that was loaded
  // Per kernel (columnar); times on CUPTI's clock.
  std::vector<uint64_t> start, end;
  std::vector<uint32_t> deviceId, contextId, streamId, correlationId, nameIndex;
  std::vector<int32_t> grid, block;  // x, y, z per kernel
  std::vector<uint32_t> registersPerThread, sharedMemoryBytes;
  std::vector<std::string> names;    // demangled where possible
  uint64_t droppedByCupti = 0;       // cuptiActivityGetNumDroppedRecords, summed
  uint64_t droppedOverLimit = 0;     // past maxRecords
  uint64_t otherRecords = 0;         // records of other kinds, ignored
  ClockTriple clockStart, clockEnd;
  std::string clockReason;           // why %globaltimer was not read (gpuNs is 0 then)
};

// Enables kernel activity. On refusal returns available:false with the reason (never throws for
// that); throws NativeFailure ERR_STATE if a collection is already running.
KernelActivityRecords activityStart(const ActivityConfig& config);
// Flushes, disables and returns every record since activityStart(). Throws ERR_STATE if none runs.
KernelActivityRecords activityStop();
bool activityRunning();

}  // namespace gsm
