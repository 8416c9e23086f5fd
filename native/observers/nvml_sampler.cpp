#include "observers/nvml_sampler.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include "core/clock.h"
#include "core/errors.h"

namespace gsm {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kMaxErrors = 8;

// The per-sample fields, in column order.
enum Field {
  kUtilGpu,
  kUtilMemory,
  kMemUsed,
  kPower,
  kTemperature,
  kSmClock,
  kMemClock,
  kGraphicsClock,
  kEventReasons,
  kEnergy,
  kFieldCount
};
const char* const kFieldNames[kFieldCount] = {
    "utilizationGpuPct", "utilizationMemoryPct", "memoryUsedBytes",    "powerW", "temperatureC", "smClockMHz",
    "memClockMHz",       "graphicsClockMHz",     "clocksEventReasons", "energyJ"};

// The GPM metrics read per interval, with their column names.
struct GpmMetricName {
  nvml::GpmMetricId id;
  const char* name;
};
const GpmMetricName kGpmMetrics[] = {
    {nvml::kGpmSmUtil, "smActivityPct"},
    {nvml::kGpmSmOccupancy, "smOccupancyPct"},
    {nvml::kGpmAnyTensorUtil, "tensorActivityPct"},
    {nvml::kGpmHmmaTensorUtil, "hmmaTensorActivityPct"},
    {nvml::kGpmDramBwUtil, "dramBandwidthPct"},
    {nvml::kGpmFp32Util, "fp32ActivityPct"},
    {nvml::kGpmFp16Util, "fp16ActivityPct"},
    {nvml::kGpmGraphicsUtil, "graphicsActivityPct"},
};
constexpr size_t kGpmMetricCount = sizeof kGpmMetrics / sizeof kGpmMetrics[0];
static_assert(kGpmMetricCount <= nvml::kGpmMaxMetrics, "GpmMetricsGet holds kGpmMaxMetrics entries");

void initGpmColumns(GpmSeries& g) {
  g.metrics.clear();
  for (const auto& m : kGpmMetrics) g.metrics.push_back(Column{m.name, {}});
}

// Drops the columns in which no read succeeded: an unsupported field is absent, never zero.
void dropEmpty(std::vector<Column>& columns) {
  std::vector<Column> kept;
  for (auto& c : columns) {
    bool any = false;
    for (double v : c.values) any = any || !std::isnan(v);
    if (any) kept.push_back(std::move(c));
  }
  columns = std::move(kept);
}

// The GPU instances of a device with MIG on (each once), for per-instance GPM.
std::vector<unsigned> gpuInstances(nvml::Api& api, nvml::Device dev) {
  std::vector<unsigned> instances;
  unsigned maxMig = 0;
  if (!api.maxMigDeviceCount || api.maxMigDeviceCount(dev, &maxMig) != nvml::kSuccess) return instances;
  for (unsigned m = 0; m < maxMig; ++m) {
    nvml::Device migDev = nullptr;
    unsigned gi = 0;
    if (api.migDeviceByIndex(dev, m, &migDev) != nvml::kSuccess) continue;
    if (api.gpuInstanceId(migDev, &gi) != nvml::kSuccess) continue;
    if (std::find(instances.begin(), instances.end(), gi) == instances.end()) instances.push_back(gi);
  }
  return instances;
}

}  // namespace

NvmlSampler::~NvmlSampler() {
  if (running_.load()) {
    try {
      stop();
    } catch (...) {
      // the process is going away; nothing to report to
    }
  }
}

void NvmlSampler::start() {
  if (running_.load()) throw NativeFailure({"ERR_STATE", "the NVML sampler is already running", "", ""});
  nvml::Api& api = nvml::api();
  if (!api.unavailable.empty()) throw NativeFailure({"ERR_NVML", api.unavailable, "", ""});
  nvml::Device dev = nullptr;
  const nvml::Return status = api.handleByIndex(config_.device, &dev);
  if (status != nvml::kSuccess) {
    throw NativeFailure({"ERR_NVML",
                         "NVML has no device " + std::to_string(config_.device) + ": " + nvml::describe(status), "",
                         "nvmlDeviceGetHandleByIndex_v2"});
  }
  dev_ = dev;
  startSeries(api);
  startGpm(api);
  startEvents(api);
  stopRequested_.store(false);
  series_.startNs = monotonicNs();
  running_.store(true);
  sampler_ = std::thread([this] { sampleLoop(); });
  if (eventSet_ != nullptr) events_ = std::thread([this] { eventLoop(); });
}

void NvmlSampler::startSeries(nvml::Api& api) {
  series_ = NvmlSeries{};
  latest_ = NvmlLatest{};
  series_.device = config_.device;
  series_.periodMs = config_.periodMs;
  char buf[128] = {0};
  if (api.name && api.name(dev_, buf, sizeof buf) == nvml::kSuccess) series_.name = buf;
  if (api.uuid && api.uuid(dev_, buf, sizeof buf) == nvml::kSuccess) series_.uuid = buf;
  for (int f = 0; f < kFieldCount; ++f) series_.columns.push_back(Column{kFieldNames[f], {}});
  // ECC counts before the run (after: in stop()).
  int eccCurrent = 0, eccPending = 0;
  if (api.eccMode && api.eccMode(dev_, &eccCurrent, &eccPending) == nvml::kSuccess && eccCurrent != 1) {
    series_.eccReason = "ECC is disabled on this GPU";
  } else {
    series_.eccBefore = readEcc(api, dev_, series_.eccReason);
  }
}

// GPM sources: the device, or each GPU instance where MIG is on; each with two samples allocated.
void NvmlSampler::startGpm(nvml::Api& api) {
  gpmSources_.clear();
  if (!config_.gpm) {
    series_.gpm.reason = "GPM sampling was not requested";
    return;
  }
  std::string reason;
  const std::optional<bool> supported = gpmSupport(api, dev_, reason);
  if (!supported.value_or(false)) {
    series_.gpm.reason = reason;
    return;
  }
  unsigned migCurrent = 0, migPending = 0;
  const bool mig = api.migMode && api.migMode(dev_, &migCurrent, &migPending) == nvml::kSuccess && migCurrent == 1;
  if (!mig) {
    series_.gpm.available = true;
    initGpmColumns(series_.gpm);
    gpmSources_.push_back(GpmSource{});
  } else if (api.gpmMigSampleGet == nullptr) {
    series_.gpm.reason = "MIG is on and this NVML has no nvmlGpmMigSampleGet";
  } else {
    series_.gpm.reason = "MIG is on: GPM is read per GPU instance (migGpm)";
    const std::vector<unsigned> instances = gpuInstances(api, dev_);
    series_.migGpm.reserve(instances.size());
    for (unsigned gi : instances) {
      MigGpmSeries m;
      m.gpuInstanceId = gi;
      m.series.available = true;
      initGpmColumns(m.series);
      series_.migGpm.push_back(std::move(m));
      GpmSource s;
      s.gpuInstanceId = gi;
      gpmSources_.push_back(s);
    }
  }
  // Wire each source to its series (after every push_back, so the pointers stay valid).
  size_t mi = 0;
  for (auto& s : gpmSources_) s.series = s.gpuInstanceId ? &series_.migGpm[mi++].series : &series_.gpm;
  for (auto& s : gpmSources_) {
    for (auto& sample : s.samples) {
      const nvml::Return st = api.gpmSampleAlloc(&sample);
      if (st != nvml::kSuccess) {
        s.series->available = false;
        s.series->reason = "nvmlGpmSampleAlloc: " + nvml::describe(st);
      }
    }
  }
}

// Xid and ECC events, waited for in their own thread.
void NvmlSampler::startEvents(nvml::Api& api) {
  eventSet_ = nullptr;
  if (api.eventSetCreate == nullptr || api.registerEvents == nullptr || api.eventSetWait == nullptr) {
    series_.eventsReason = "this NVML has no event interface (nvmlEventSetWait_v2)";
    return;
  }
  unsigned long long supportedTypes = 0;
  nvml::Return st =
      api.supportedEventTypes ? api.supportedEventTypes(dev_, &supportedTypes) : nvml::kErrorFunctionNotFound;
  const unsigned long long wanted =
      nvml::kEventXidCriticalError | nvml::kEventSingleBitEccError | nvml::kEventDoubleBitEccError;
  if (st != nvml::kSuccess) {
    series_.eventsReason = "nvmlDeviceGetSupportedEventTypes: " + nvml::describe(st);
  } else if ((supportedTypes & wanted) == 0) {
    series_.eventsReason = "this GPU reports neither Xid nor ECC events";
  } else if ((st = api.eventSetCreate(&eventSet_)) != nvml::kSuccess) {
    series_.eventsReason = "nvmlEventSetCreate: " + nvml::describe(st);
    eventSet_ = nullptr;
  } else if ((st = api.registerEvents(dev_, supportedTypes & wanted, eventSet_)) != nvml::kSuccess) {
    series_.eventsReason = "nvmlDeviceRegisterEvents: " + nvml::describe(st);
    api.eventSetFree(eventSet_);
    eventSet_ = nullptr;
  } else {
    series_.eventsAvailable = true;
  }
}

void NvmlSampler::sampleOnce(uint64_t now, bool& readProcs) {
  nvml::Api& api = nvml::api();
  double v[kFieldCount];
  for (double& x : v) x = kNaN;
  unsigned u = 0;
  nvml::Utilization util{};
  if (api.utilization && api.utilization(dev_, &util) == nvml::kSuccess) {
    v[kUtilGpu] = util.gpu;
    v[kUtilMemory] = util.memory;
  }
  nvml::Memory mem{};
  if (api.memory && api.memory(dev_, &mem) == nvml::kSuccess) v[kMemUsed] = static_cast<double>(mem.used);
  if (api.power && api.power(dev_, &u) == nvml::kSuccess) v[kPower] = u * 1e-3;
  if (api.temperature && api.temperature(dev_, nvml::kTemperatureGpu, &u) == nvml::kSuccess) v[kTemperature] = u;
  if (api.clock && api.clock(dev_, nvml::kClockSm, &u) == nvml::kSuccess) v[kSmClock] = u;
  if (api.clock && api.clock(dev_, nvml::kClockMem, &u) == nvml::kSuccess) v[kMemClock] = u;
  if (api.clock && api.clock(dev_, nvml::kClockGraphics, &u) == nvml::kSuccess) v[kGraphicsClock] = u;
  unsigned long long bits = 0;
  if (api.eventReasons && api.eventReasons(dev_, &bits) == nvml::kSuccess) v[kEventReasons] = static_cast<double>(bits);
  if (api.energy && api.energy(dev_, &bits) == nvml::kSuccess) v[kEnergy] = static_cast<double>(bits) * 1e-3;
  const double t = static_cast<double>(now - series_.startNs);

  std::optional<std::vector<ProcessUse>> procs;
  std::string procReason;
  if (readProcs) procs = readProcesses(api, dev_, procReason);

  std::lock_guard<std::mutex> lock(mutex_);
  if (config_.retain) {
    series_.tNs.push_back(t);
    for (int f = 0; f < kFieldCount; ++f) series_.columns[f].values.push_back(v[f]);
  }
  latest_.valid = true;
  latest_.tNs = t;
  latest_.fields.clear();
  for (int f = 0; f < kFieldCount; ++f) {
    if (!std::isnan(v[f])) latest_.fields.emplace_back(kFieldNames[f], v[f]);
  }
  if (readProcs) {
    if (!procs) {
      if (!series_.processesAvailable) series_.processesReason = procReason;
    } else {
      series_.processesAvailable = true;
      series_.processesReason.clear();
      for (const ProcessUse& p : *procs) {
        ProcessSeen* seen = nullptr;
        for (auto& s : series_.processes)
          if (s.pid == p.pid) seen = &s;
        if (seen == nullptr) {
          series_.processes.push_back(ProcessSeen{});
          seen = &series_.processes.back();
          seen->pid = p.pid;
          seen->name = p.name;
          seen->firstSeenNs = t;
          seen->gpuInstanceId = p.gpuInstanceId;
        }
        seen->mps = seen->mps || p.mps;
        seen->lastSeenNs = t;
        if (p.usedBytes) {
          seen->lastUsedBytes = p.usedBytes;
          if (!seen->maxUsedBytes || *p.usedBytes > *seen->maxUsedBytes) seen->maxUsedBytes = p.usedBytes;
        }
      }
    }
  }
}

void NvmlSampler::gpmTick(double tNs) {
  nvml::Api& api = nvml::api();
  for (auto& s : gpmSources_) {
    if (!s.series->available) continue;
    nvml::GpmSample& cur = s.samples[s.current];
    const nvml::Return st =
        s.gpuInstanceId ? api.gpmMigSampleGet(dev_, *s.gpuInstanceId, cur) : api.gpmSampleGet(dev_, cur);
    if (st != nvml::kSuccess) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (s.series->startNs.empty() && !s.primed) {  // fails from the start: say why and stop trying
        s.series->available = false;
        s.series->reason =
            std::string(s.gpuInstanceId ? "nvmlGpmMigSampleGet: " : "nvmlGpmSampleGet: ") + nvml::describe(st);
      } else if (series_.errors.size() < kMaxErrors) {
        series_.errors.push_back("GPM sample failed: " + nvml::describe(st));
      }
      s.primed = false;
      continue;
    }
    if (s.primed) {
      nvml::GpmMetricsGet get{};
      get.version = nvml::kGpmMetricsGetVersion;
      get.numMetrics = static_cast<unsigned>(kGpmMetricCount);
      get.sample1 = s.samples[1 - s.current];
      get.sample2 = cur;
      for (size_t i = 0; i < kGpmMetricCount; ++i) get.metrics[i].metricId = kGpmMetrics[i].id;
      const nvml::Return mst = api.gpmMetricsGet(&get);
      std::lock_guard<std::mutex> lock(mutex_);
      if (mst != nvml::kSuccess) {
        if (series_.errors.size() < kMaxErrors) series_.errors.push_back("nvmlGpmMetricsGet: " + nvml::describe(mst));
      } else {
        if (config_.retain) {
          s.series->startNs.push_back(s.lastNs);
          s.series->endNs.push_back(tNs);
          for (size_t i = 0; i < kGpmMetricCount; ++i) {
            s.series->metrics[i].values.push_back(get.metrics[i].nvmlReturn == nvml::kSuccess ? get.metrics[i].value
                                                                                              : kNaN);
          }
        }
        if (!s.gpuInstanceId) {
          latest_.gpm.clear();
          for (size_t i = 0; i < kGpmMetricCount; ++i) {
            if (get.metrics[i].nvmlReturn == nvml::kSuccess)
              latest_.gpm.emplace_back(kGpmMetrics[i].name, get.metrics[i].value);
          }
        }
      }
    }
    s.lastNs = tNs;
    s.primed = true;
    s.current = 1 - s.current;
  }
}

void NvmlSampler::sampleLoop() {
  const uint64_t period = static_cast<uint64_t>(config_.periodMs) * 1000000ull;
  const uint64_t processEvery = std::max<uint64_t>(1, config_.processPeriodMs / std::max(1u, config_.periodMs));
  const unsigned gpmPeriod = std::max(config_.gpmPeriodMs, kMinGpmPeriodMs);
  const uint64_t gpmEvery = std::max<uint64_t>(1, (gpmPeriod + config_.periodMs - 1) / std::max(1u, config_.periodMs));
  uint64_t tick = 0;
  for (;;) {
    const uint64_t now = monotonicNs();
    const double t = static_cast<double>(now - series_.startNs);
    bool readProcs = tick % processEvery == 0;
    sampleOnce(now, readProcs);
    if (!gpmSources_.empty() && tick % gpmEvery == 0) gpmTick(t);
    ++tick;
    if (stopRequested_.load()) break;
    // Next tick on the fixed grid; a tick that is already late runs at once and is counted.
    uint64_t due = series_.startNs + tick * period;
    const uint64_t after = monotonicNs();
    if (after > due + period) {
      const uint64_t skipped = (after - due) / period;
      tick += skipped;
      due += skipped * period;
      std::lock_guard<std::mutex> lock(mutex_);
      series_.lateSamples += skipped;
    }
    while (!stopRequested_.load()) {
      const uint64_t n = monotonicNs();
      if (n >= due) break;
      const uint64_t left = due - n;
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<uint64_t>(left, 20000000ull)));
    }
    if (stopRequested_.load()) {
      // One last reading at the stop, so the series covers the whole window.
      const uint64_t end = monotonicNs();
      bool procsAtEnd = true;
      sampleOnce(end, procsAtEnd);  // (no GPM reading here: a short last interval would read 0)
      break;
    }
  }
}

void NvmlSampler::eventLoop() {
  nvml::Api& api = nvml::api();
  while (!stopRequested_.load()) {
    nvml::EventData data{};
    const nvml::Return st = api.eventSetWait(eventSet_, &data, 100);
    if (st == nvml::kErrorTimeout) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    if (st != nvml::kSuccess) {
      series_.eventsAvailable = false;
      series_.eventsReason = "nvmlEventSetWait_v2: " + nvml::describe(st);
      return;
    }
    NvmlEvent e;
    e.tNs = static_cast<double>(monotonicNs() - series_.startNs);
    e.type = data.eventType;
    e.data = data.eventData;
    if (data.gpuInstanceId != 0xFFFFFFFFu) e.gpuInstanceId = data.gpuInstanceId;
    if (data.computeInstanceId != 0xFFFFFFFFu) e.computeInstanceId = data.computeInstanceId;
    series_.events.push_back(e);
  }
}

NvmlSeries NvmlSampler::stop() {
  if (!running_.load()) throw NativeFailure({"ERR_STATE", "the NVML sampler is not running", "", ""});
  stopRequested_.store(true);
  if (sampler_.joinable()) sampler_.join();
  if (events_.joinable()) events_.join();
  nvml::Api& api = nvml::api();
  if (eventSet_ != nullptr) api.eventSetFree(eventSet_);
  eventSet_ = nullptr;
  for (auto& s : gpmSources_) {
    for (auto& sample : s.samples) {
      if (sample.handle != nullptr) api.gpmSampleFree(sample);
      sample.handle = nullptr;
    }
  }
  gpmSources_.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  series_.endNs = monotonicNs();
  if (series_.eccBefore) {
    std::string reason;
    series_.eccAfter = readEcc(api, dev_, reason);
    if (!series_.eccAfter) series_.eccReason = reason;
  }
  dropEmpty(series_.columns);
  dropEmpty(series_.gpm.metrics);
  for (auto& m : series_.migGpm) dropEmpty(m.series.metrics);
  NvmlSeries out = std::move(series_);
  series_ = NvmlSeries{};
  running_.store(false);
  return out;
}

NvmlLatest NvmlSampler::latest() {
  std::lock_guard<std::mutex> lock(mutex_);
  return latest_;
}

}  // namespace gsm
