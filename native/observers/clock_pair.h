// One simultaneous reading of the three clocks a CUPTI record may have to be placed against: the
// host's CLOCK_MONOTONIC (native/core/clock.h), the GPU's %globaltimer (read by a one-thread kernel,
// kernels/launch.h readGlobalTimer) and cuptiGetTimestamp (the clock of CUPTI's activity records).
// The best of five readings is kept: the one with the shortest host round trip.
#pragma once

#include <cstdint>
#include <cuda_runtime_api.h>

namespace gsm {

struct ClockTriple {
  uint64_t hostNs = 0;
  uint64_t gpuNs = 0;    // %globaltimer; 0 when not read
  uint64_t cuptiNs = 0;  // cuptiGetTimestamp; 0 when CUPTI is not loaded
  uint64_t uncertaintyNs = 0;
};

// Reads %globaltimer on a private stream of the current device. Not thread-safe; one per user.
class GlobalTimerReader {
 public:
  GlobalTimerReader() = default;
  ~GlobalTimerReader() { release(); }
  GlobalTimerReader(const GlobalTimerReader&) = delete;
  GlobalTimerReader& operator=(const GlobalTimerReader&) = delete;

  // Allocates on `device` (creating its context if this process has none). Throws NativeFailure.
  void init(int device);
  // Throws NativeFailure if a CUDA call fails.
  ClockTriple read();
  void release();
  bool ready() const { return timer_ != nullptr; }

 private:
  int device_ = 0;
  cudaStream_t stream_ = nullptr;
  uint64_t* timer_ = nullptr;
};

// Host and CUPTI clocks only (no GPU work), for when %globaltimer cannot be read.
ClockTriple readHostAndCupti();

}  // namespace gsm
