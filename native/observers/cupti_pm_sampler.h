// CUPTI PM sampling: the GPU's performance monitors read at a fixed interval (100 µs by default),
// device-wide, whatever process runs the work: SM activity and warp occupancy by default. The
// sampler needs a CUDA context of its own on the device (created here) and a background thread that
// decodes the hardware buffer while sampling runs; every call into CUPTI's PM sampling and profiler
// host API happens on that thread. No N-API in here.
//
// The API as NVIDIA documents it (CUPTI, "PM Sampling" and "Profiler Host API", CUDA 12.6+):
// cuptiProfilerInitialize -> cuptiDeviceGetChipName -> cuptiPmSamplingGetCounterAvailability ->
// cuptiProfilerHostInitialize(PM_SAMPLING) -> ConfigAddMetrics / GetConfigImage (one pass only) ->
// cuptiPmSamplingEnable -> SetConfig (interval, hardware buffer, trigger) -> counter data image ->
// Start -> DecodeData repeatedly (GetCounterDataInfo, GetSampleInfo, EvaluateToGpuValues) -> Stop ->
// Disable.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <cupti_result.h>
#include "observers/clock_pair.h"

namespace gsm {

struct PmSamplingConfig {
  int device = 0;
  uint64_t intervalNs = 100000;
  std::vector<std::string> metrics;       // empty: the defaults (kDefaultPmMetrics)
  size_t hardwareBufferBytes = 256u << 20;
  uint32_t maxSamplesPerImage = 20000;    // samples a counter data image holds before it is reset
  unsigned decodePeriodMs = 20;
};

struct PmSeries {
  bool available = false;
  std::string reason, cuptiError;
  std::string chip, library;
  std::vector<std::string> metrics;          // those actually sampled
  std::vector<std::string> unsupportedMetrics;  // requested but refused by this GPU
  std::vector<std::string> droppedMetrics;      // accepted, but not in one pass with those before them
  uint64_t intervalNs = 0;
  std::vector<uint64_t> start, end;          // per sample, on the PM sampler's clock
  std::vector<std::vector<double>> values;   // [metric][sample]
  uint64_t overflows = 0;                    // decodes that reported hardware-buffer overflow
  uint64_t decodeErrors = 0;
  std::string lastDecodeError;
  ClockTriple clockStart, clockEnd;
  std::string clockReason;
};

extern const char* const kDefaultPmMetrics[];
extern const size_t kDefaultPmMetricCount;

class PmSampler {
 public:
  explicit PmSampler(PmSamplingConfig config) : config_(std::move(config)) {}
  ~PmSampler();
  PmSampler(const PmSampler&) = delete;
  PmSampler& operator=(const PmSampler&) = delete;

  // Sets up and starts sampling; returns available:false with the reason when not permitted.
  // Throws NativeFailure ERR_STATE when already running. Blocks until setup is done.
  PmSeries start();
  // Stops, decodes what is left and returns the series. Throws ERR_STATE when not running.
  PmSeries stop();
  bool running() const { return running_.load(); }

 private:
  void threadMain();
  bool setup();      // on the thread; fills series_.reason on failure
  // setup(), in steps (each false with series_.reason on failure).
  bool initProfiler();
  bool readCounterAvailability();
  bool chooseMetrics();
  bool enableSampling();
  bool refuse(CUptiResult status, const std::string& call);  // records a CUPTI refusal; false
  // A fresh host object configured with `metrics`; the number of passes they need, 0 when the chip
  // refuses one of them (the failing CUPTI call in `status`).
  size_t configure(const std::vector<std::string>& metrics, CUptiResult& status);
  void decode(bool final);
  void teardown();

  PmSamplingConfig config_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool setupDone_ = false;
  std::atomic<bool> running_{false};
  std::atomic<bool> stopRequested_{false};
  PmSeries series_;
  // CUPTI state, owned by the thread.
  void* hostObject_ = nullptr;      // CUpti_Profiler_Host_Object*
  void* samplingObject_ = nullptr;  // CUpti_PmSampling_Object*
  bool profilerInitialized_ = false;
  std::vector<uint8_t> counterAvailability_, configImage_, counterData_;
  std::vector<const char*> metricNames_;
  size_t processed_ = 0;
  GlobalTimerReader timer_;
};

}  // namespace gsm
