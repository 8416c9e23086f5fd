// The timed loop: one client's measurement, entirely in C++. prepare() binds the client's context
// (the device's primary context, or a green context) and stream, prepares the workload (fresh random
// inputs) and the trace buffer, and warms up; run() waits for the common start time, then drives the
// workload in one of three ways for a duration or a count:
//   - back to back with `depth` launches in flight (saturating; depth 1 is a closed loop);
//   - open loop: each request at its scheduled arrival (arrivalsNs), at most `depth` in flight, its
//     latency counted from the schedule (so a loop that falls behind shows it: no coordinated omission);
//   - bursty: back to back only inside ON windows (bursts), idle in between.
// It records every launch's GPU time (CUDA events) and host-side latency, plus per-CTA
// %globaltimer/%smid records for the launches that fit in the trace buffer. No N-API in here.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <cuda.h>
#include <cuda_runtime_api.h>
#include "kernels/launch.h"
#include "workloads/workload.h"

namespace gsm {

// Bursty arrivals: at time t after the start the loop is ON when (t + phaseNs) mod (onNs + offNs) < onNs.
struct BurstConfig {
  uint64_t onNs = 0;     // 0: not bursty
  uint64_t offNs = 0;
  uint64_t phaseNs = 0;  // below onNs + offNs
};

struct LoopConfig {
  WorkloadSpec workload;
  int device = 0;
  int streamPriority = 0;           // cudaStreamCreateWithPriority; 0 is the default (lowest)
  int greenContext = -1;            // index from createGreenContexts(), or -1 for the primary context
  uint64_t durationNs = 0;          // run for this long (0: use `launches`)
  uint64_t launches = 0;            // or for this many launches
  int depth = 1;                    // launches in flight; 1 is a closed loop
  uint64_t traceCapacity = 0;       // CTA records kept; launches are traced from the start until full
  uint32_t traceEvery = 1;          // trace launches 0, k, 2k, ... (k > 1 interleaves traced and plain launches)
  uint64_t warmupNs = 0;
  bool open = false;                // an open loop: issue request i at start + arrivalsNs[i]
  std::vector<double> arrivalsNs;   // ascending, finite, >= 0; with `launches`, exactly that many
  BurstConfig bursts;               // bursty when bursts.onNs > 0 (never with `open`)
};

struct ClockPair {   // one simultaneous reading of the host clock and %globaltimer
  uint64_t hostNs = 0;
  uint64_t gpuNs = 0;
  uint64_t uncertaintyNs = 0;  // half the host-side round trip of the reading
};

struct PrepareInfo {
  std::string deviceName;
  int smCount = 0;                // SMs of the device
  int smsAvailable = 0;           // SMs this client may use (its green context's, or all)
  int ctasPerLaunch = 0;
  int streamPriority = 0;
  double flopsPerLaunch = 0;
  double bytesPerLaunch = 0;
  std::string detail;             // Workload::describe()
  std::vector<LayerInfo> layers;  // Workload::layers(): a model's ops (empty for single kernels)
  size_t deviceBytes = 0;         // Workload::deviceBytes()
  ResidentState resident;         // Workload::resident()
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
  // Open loop: latencyNs counts from scheduledNs (the request's arrival on the schedule), not from its
  // enqueue. wakeLateNs is the loop's own lateness: per request (open), per burst (bursty), else empty.
  std::vector<double> scheduledNs;  // open loop, per request issued: its arrival, relative to startNs
  std::vector<double> wakeLateNs;   // enqueue - max(when it was due, when a slot became free)
  uint64_t scheduledRequests = 0;   // open loop: requests of the schedule before the deadline
  uint64_t notStarted = 0;          // open loop: of those, the ones never issued (see run())
  uint64_t bursts = 0;              // bursty: ON windows in which at least one launch was issued
  uint64_t tracedLaunches = 0;
  std::vector<Interval> trace;    // tracedLaunches * ctasPerLaunch records, launch-major (launches 0, k, 2k, ...)
  Observations observations;      // the probe's gaps, a model's layer times
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
  void bindContext();  // makes the loop's context current on the calling thread
  ClockPair readClocks();
  void waitUntil(uint64_t startAtNs);
  // The three drivers of run(): each issues and completes launches through the recorder.
  class Recorder;
  void runBackToBack(Recorder& recorder, LoopResult& result);
  void runOpen(Recorder& recorder, LoopResult& result);
  void runBursty(Recorder& recorder, LoopResult& result);
  void waitRecording(Recorder& recorder, uint64_t untilNs);  // waits, recording completions as they come

  LoopConfig config_;
  std::atomic<bool> stop_{false};
  bool prepared_ = false;
  CUcontext green_ = nullptr;
  std::unique_ptr<Workload> workload_;
  int ctasPerLaunch_ = 0;
  cudaStream_t stream_ = nullptr;
  std::vector<cudaEvent_t> startEvents_, stopEvents_;
  Interval* trace_ = nullptr;
  uint64_t* timer_ = nullptr;
};

}  // namespace gsm
