// The NVML sampler: a background thread that reads one device every `periodMs` while a measurement
// runs (utilisation, memory, power, temperature, clocks, clocks-event reasons, energy), takes GPM
// samples and turns each pair into per-interval metrics (SM activity, SM occupancy, tensor-pipe and
// DRAM-bandwidth utilisation; per GPU instance where MIG is on), follows the compute processes, and
// a second thread that waits for Xid and ECC events. ECC error counts are read before and after.
// Times are CLOCK_MONOTONIC nanoseconds (native/core/clock.h), relative to startNs. No N-API in here.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include "libraries/nvml_api.h"
#include "observers/nvml_snapshot.h"

namespace gsm {

constexpr unsigned kMinGpmPeriodMs = 200;

struct NvmlSamplerConfig {
  unsigned device = 0;
  unsigned periodMs = 50;
  bool gpm = true;
  // GPM samples are taken every gpmPeriodMs (a multiple of periodMs, at least kMinGpmPeriodMs): on
  // an H200 (driver 580) GPM's counters advance about every 100 ms, so at a 50 ms period every other
  // interval read 0 (docs/results/2026-11-29-h200-observe).
  unsigned gpmPeriodMs = 200;
  bool retain = true;            // keep the whole series (false: only the latest sample, for `monitor`)
  unsigned processPeriodMs = 250;  // how often the process list is read
};

// One named column of a series; NaN where a read failed. Columns that never read are dropped.
struct Column {
  std::string name;
  std::vector<double> values;
};

struct GpmSeries {
  bool available = false;
  std::string reason;          // why not available
  std::vector<double> startNs, endNs;  // each interval between two GPM samples
  std::vector<Column> metrics;  // percentages 0..100, one value per interval
};

struct MigGpmSeries {
  unsigned gpuInstanceId = 0;
  GpmSeries series;
};

struct NvmlEvent {
  double tNs = 0;
  unsigned long long type = 0;  // nvmlEventType* bit
  unsigned long long data = 0;  // the Xid for an Xid event
  std::optional<unsigned> gpuInstanceId, computeInstanceId;
};

struct ProcessSeen {
  unsigned pid = 0;
  std::string name;
  bool mps = false;
  std::optional<unsigned long long> maxUsedBytes, lastUsedBytes;
  std::optional<unsigned> gpuInstanceId;
  double firstSeenNs = 0, lastSeenNs = 0;
};

struct NvmlSeries {
  unsigned device = 0;
  std::string name, uuid;
  unsigned periodMs = 0;
  uint64_t startNs = 0, endNs = 0;
  std::vector<double> tNs;
  std::vector<Column> columns;
  uint64_t lateSamples = 0;  // ticks that started more than one period late
  GpmSeries gpm;
  std::vector<MigGpmSeries> migGpm;
  bool eventsAvailable = false;
  std::string eventsReason;
  std::vector<NvmlEvent> events;
  std::optional<EccCounts> eccBefore, eccAfter;
  std::string eccReason;
  bool processesAvailable = false;
  std::string processesReason;
  std::vector<ProcessSeen> processes;
  std::vector<std::string> errors;  // the first few unexpected NVML failures
};

// The latest reading, for a live view: every present field and the last GPM interval's metrics.
struct NvmlLatest {
  bool valid = false;
  double tNs = 0;
  std::vector<std::pair<std::string, double>> fields;
  std::vector<std::pair<std::string, double>> gpm;
};

class NvmlSampler {
 public:
  explicit NvmlSampler(const NvmlSamplerConfig& config) : config_(config) {}
  ~NvmlSampler();
  NvmlSampler(const NvmlSampler&) = delete;
  NvmlSampler& operator=(const NvmlSampler&) = delete;

  // Starts the threads. Throws NativeFailure (ERR_NVML, ERR_STATE) when it cannot.
  void start();
  // Stops the threads and hands over the series; the sampler can be started again afterwards.
  NvmlSeries stop();
  NvmlLatest latest();
  bool running() const { return running_.load(); }

 private:
  // start(), in steps: the series and the ECC counts before; the GPM sources; the event set.
  void startSeries(nvml::Api& api);
  void startGpm(nvml::Api& api);
  void startEvents(nvml::Api& api);
  void sampleLoop();
  void eventLoop();
  void sampleOnce(uint64_t now, bool& readProcesses);
  void gpmTick(double tNs);

  NvmlSamplerConfig config_;
  nvml::Device dev_ = nullptr;
  std::atomic<bool> running_{false};
  std::atomic<bool> stopRequested_{false};
  std::thread sampler_, events_;
  nvml::EventSet eventSet_ = nullptr;
  std::mutex mutex_;  // guards series_ and latest_ between the threads and the JavaScript thread
  NvmlSeries series_;
  NvmlLatest latest_;
  // GPM state: a pair of samples per source (device, then each GPU instance), ping-ponged.
  struct GpmSource {
    std::optional<unsigned> gpuInstanceId;  // nullopt: the whole device
    nvml::GpmSample samples[2] = {{nullptr}, {nullptr}};
    int current = 0;
    bool primed = false;
    double lastNs = 0;
    GpmSeries* series = nullptr;
  };
  std::vector<GpmSource> gpmSources_;
};

}  // namespace gsm
