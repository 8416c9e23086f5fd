// The timed loop: one client's measurement, entirely in C++. prepare() creates the context, the
// inputs (fresh random values) and the trace buffers and warms up; run() waits for the common start
// time, launches the kernel back to back (saturating) or one at a time (closed loop) for a duration
// or a count, and records every launch's GPU time (CUDA events) and host-side latency, plus per-CTA
// %globaltimer/%smid records for the launches that fit in the trace buffer. No N-API in here.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>
#include <cuda_runtime_api.h>
#include "../kernels/launch.h"

namespace gsm {

enum class KernelKind { Probe, Gemm };

struct LoopConfig {
  KernelKind kernel = KernelKind::Gemm;
  int device = 0;
  int m = 0, n = 0, k = 0;          // gemm
  uint64_t probeActiveNs = 0;       // probe: running time per CTA per launch
  uint32_t gapThresholdNs = 0;      // probe
  uint64_t durationNs = 0;          // run for this long (0: use `launches`)
  uint64_t launches = 0;            // or for this many launches
  int depth = 1;                    // launches in flight; 1 is a closed loop
  uint64_t traceCapacity = 0;       // CTA records kept; launches are traced from the start until full
  uint32_t gapCapacity = 0;         // probe gap records kept
  uint64_t warmupNs = 0;
  uint64_t seed = 0;
};

struct ClockPair {   // one simultaneous reading of the host clock and %globaltimer
  uint64_t hostNs = 0;
  uint64_t gpuNs = 0;
  uint64_t uncertaintyNs = 0;  // half the host-side round trip of the reading
};

struct PrepareInfo {
  std::string deviceName;
  int smCount = 0;
  int ctasPerLaunch = 0;
  uint64_t warmupLaunches = 0;
  double warmupMs = 0;
  uint64_t traceLaunchCapacity = 0;
  ClockPair clock;
};

struct LoopResult {
  uint64_t requestedStartNs = 0;  // host clock
  uint64_t startNs = 0;           // host clock at the first launch
  uint64_t endNs = 0;             // host clock when the last launch had completed
  bool stopped = false;           // ended early by stop()
  std::vector<double> enqueueNs;  // per launch, relative to startNs
  std::vector<double> latencyNs;  // per launch: enqueue to observed completion (host)
  std::vector<double> gpuNs;      // per launch: CUDA events around the launch
  uint64_t tracedLaunches = 0;
  std::vector<Interval> trace;    // tracedLaunches * ctasPerLaunch records, launch-major
  uint64_t gapsObserved = 0;      // may exceed gaps.size() when the buffer overflowed
  std::vector<Interval> gaps;
  ClockPair clock;                // read again after the run
};

class TimedLoop {
 public:
  explicit TimedLoop(const LoopConfig& config) : config_(config) {}
  ~TimedLoop() { release(); }
  TimedLoop(const TimedLoop&) = delete;
  TimedLoop& operator=(const TimedLoop&) = delete;

  PrepareInfo prepare();
  LoopResult run(uint64_t startAtNs);
  void requestStop() { stop_.store(true); }
  void release();
  bool prepared() const { return prepared_; }

 private:
  cudaError_t launch(Interval* trace);
  ClockPair readClocks();
  void waitUntil(uint64_t startAtNs);

  LoopConfig config_;
  std::atomic<bool> stop_{false};
  bool prepared_ = false;
  int ctasPerLaunch_ = 0;
  size_t probeShared_ = 0;
  cudaStream_t stream_ = nullptr;
  std::vector<cudaEvent_t> startEvents_, stopEvents_;
  uint16_t* a_ = nullptr;
  uint16_t* b_ = nullptr;
  float* c_ = nullptr;
  Interval* trace_ = nullptr;
  Interval* gaps_ = nullptr;
  unsigned int* gapCount_ = nullptr;
  uint64_t* timer_ = nullptr;
};

}  // namespace gsm
