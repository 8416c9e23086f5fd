#include "observers/cupti_pm_sampler.h"

#include <chrono>
#include "core/clock.h"
#include "libraries/cupti_api.h"
#include "core/errors.h"

namespace gsm {

// SM activity (share of elapsed cycles in which the average SM had work), warp occupancy (active
// warps over the maximum, in active cycles), then tensor-pipe and DRAM activity where the GPU can
// sample them in the same pass. Metrics a GPU refuses are reported, not fatal.
const char* const kDefaultPmMetrics[] = {
    "sm__cycles_active.avg.pct_of_peak_sustained_elapsed",
    "sm__warps_active.avg.pct_of_peak_sustained_active",
    "sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_elapsed",
    "dram__throughput.avg.pct_of_peak_sustained_elapsed",
};
const size_t kDefaultPmMetricCount = sizeof kDefaultPmMetrics / sizeof kDefaultPmMetrics[0];

namespace {

auto* hostOf(void* p) { return static_cast<CUpti_Profiler_Host_Object*>(p); }
auto* samplerOf(void* p) { return static_cast<CUpti_PmSampling_Object*>(p); }

const char* supportName(CUpti_Profiler_Support_Level level) {
  switch (level) {
    case CUPTI_PROFILER_CONFIGURATION_SUPPORTED: return "supported";
    case CUPTI_PROFILER_CONFIGURATION_DISABLED: return "disabled";
    case CUPTI_PROFILER_CONFIGURATION_UNSUPPORTED: return "unsupported";
    default: return "unknown";
  }
}

}  // namespace

PmSampler::~PmSampler() {
  if (running_.load()) {
    try {
      stop();
    } catch (...) {
      // going away; nothing to report to
    }
  }
  if (thread_.joinable()) thread_.join();
}

PmSeries PmSampler::start() {
  if (running_.load() || thread_.joinable())
    throw NativeFailure({"ERR_STATE", "the PM sampler is already running", "", ""});
  series_ = PmSeries{};
  setupDone_ = false;
  stopRequested_.store(false);
  cupti::Api& api = cupti::api();
  if (!api.unavailable.empty()) {
    series_.reason = api.unavailable;
    return series_;
  }
  series_.library = api.file;
  if (!api.hasPmSampling()) {
    series_.reason = api.file + " has no PM sampling API (CUPTI from CUDA 12.6 or later is needed)";
    return series_;
  }
  thread_ = std::thread([this] { threadMain(); });
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return setupDone_; });
  if (!series_.available) {
    lock.unlock();
    thread_.join();
    return series_;
  }
  running_.store(true);
  PmSeries status;
  status.available = true;
  status.chip = series_.chip;
  status.library = series_.library;
  status.metrics = series_.metrics;
  status.unsupportedMetrics = series_.unsupportedMetrics;
  status.droppedMetrics = series_.droppedMetrics;
  status.intervalNs = series_.intervalNs;
  status.clockStart = series_.clockStart;
  status.clockReason = series_.clockReason;
  return status;
}

PmSeries PmSampler::stop() {
  if (!running_.load()) throw NativeFailure({"ERR_STATE", "the PM sampler is not running", "", ""});
  stopRequested_.store(true);
  if (thread_.joinable()) thread_.join();
  running_.store(false);
  PmSeries out = std::move(series_);
  series_ = PmSeries{};
  return out;
}

void PmSampler::threadMain() {
  const bool ok = setup();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    series_.available = ok;
    setupDone_ = true;
  }
  cv_.notify_all();
  if (!ok) {
    teardown();
    return;
  }
  while (!stopRequested_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(config_.decodePeriodMs));
    decode(false);
  }
  cupti::Api& api = cupti::api();
  CUpti_PmSampling_Stop_Params stopParams{CUpti_PmSampling_Stop_Params_STRUCT_SIZE};
  stopParams.pPmSamplingObject = samplerOf(samplingObject_);
  api.pmStop(&stopParams);
  decode(true);
  if (timer_.ready()) {
    try {
      series_.clockEnd = timer_.read();
    } catch (const NativeFailure& failure) {
      series_.clockReason = "%globaltimer not read at the end: " + failure.info().message;
      series_.clockEnd = readHostAndCupti();
    }
  }
  teardown();
}

bool PmSampler::refuse(CUptiResult status, const std::string& call) {
  series_.cuptiError = cupti::resultName(status);
  series_.reason = call + " failed: " + cupti::plainReason(status);
  return false;
}

// Each step fills series_.reason (and cuptiError) when it fails.
bool PmSampler::setup() {
  series_.intervalNs = config_.intervalNs;
  if (!initProfiler() || !readCounterAvailability() || !chooseMetrics() || !enableSampling()) return false;
  try {
    series_.clockStart = timer_.read();
  } catch (const NativeFailure& failure) { series_.clockReason = "%globaltimer not read: " + failure.info().message; }
  CUpti_PmSampling_Start_Params startParams{CUpti_PmSampling_Start_Params_STRUCT_SIZE};
  startParams.pPmSamplingObject = samplerOf(samplingObject_);
  const CUptiResult st = cupti::api().pmStart(&startParams);
  if (st != CUPTI_SUCCESS) return refuse(st, "cuptiPmSamplingStart");
  return true;
}

// A context of our own on the device (%globaltimer is read through it too), the profiler, and
// whether CUPTI supports PM sampling on this device.
bool PmSampler::initProfiler() {
  cupti::Api& api = cupti::api();
  try {
    timer_.init(config_.device);
    series_.clockStart = timer_.read();
  } catch (const NativeFailure& failure) {
    series_.reason = "no CUDA context on device " + std::to_string(config_.device) + ": " + failure.info().message;
    return false;
  }
  CUpti_Profiler_Initialize_Params init{CUpti_Profiler_Initialize_Params_STRUCT_SIZE};
  const CUptiResult st = api.profilerInitialize(&init);
  if (st != CUPTI_SUCCESS) return refuse(st, "cuptiProfilerInitialize");
  profilerInitialized_ = true;
  if (api.profilerDeviceSupported) {
    CUpti_Profiler_DeviceSupported_Params sup{CUpti_Profiler_DeviceSupported_Params_STRUCT_SIZE};
    sup.cuDevice = config_.device;
    sup.api = CUPTI_PROFILER_PM_SAMPLING;
    if (api.profilerDeviceSupported(&sup) == CUPTI_SUCCESS &&
        sup.isSupported != CUPTI_PROFILER_CONFIGURATION_SUPPORTED) {
      series_.reason = std::string("CUPTI says PM sampling is not supported on this device (architecture ") +
                       supportName(sup.architecture) + ", vGPU " + supportName(sup.vGpu) + ", confidential computing " +
                       supportName(sup.confidentialCompute) + ", SLI " + supportName(sup.sli) + ", WSL " +
                       supportName(sup.wsl) + ")";
      return false;
    }
  }
  return true;
}

// The chip's name and its counter availability image (what configure() builds configs against).
bool PmSampler::readCounterAvailability() {
  cupti::Api& api = cupti::api();
  CUpti_Device_GetChipName_Params chip{CUpti_Device_GetChipName_Params_STRUCT_SIZE};
  chip.deviceIndex = static_cast<size_t>(config_.device);
  CUptiResult st = api.deviceGetChipName(&chip);
  if (st != CUPTI_SUCCESS) return refuse(st, "cuptiDeviceGetChipName");
  series_.chip = chip.pChipName ? chip.pChipName : "";
  CUpti_PmSampling_GetCounterAvailability_Params avail{CUpti_PmSampling_GetCounterAvailability_Params_STRUCT_SIZE};
  avail.deviceIndex = static_cast<size_t>(config_.device);
  st = api.pmGetCounterAvailability(&avail);
  if (st != CUPTI_SUCCESS) return refuse(st, "cuptiPmSamplingGetCounterAvailability");
  counterAvailability_.assign(avail.counterAvailabilityImageSize, 0);
  avail.pCounterAvailabilityImage = counterAvailability_.data();
  st = api.pmGetCounterAvailability(&avail);
  if (st != CUPTI_SUCCESS) return refuse(st, "cuptiPmSamplingGetCounterAvailability");
  return true;
}

// Metrics are taken greedily in the order asked: each one the chip accepts is kept if the config
// with it still needs a single pass (PM sampling takes one pass only). Leaves the config image of
// the metrics kept in configImage_.
bool PmSampler::chooseMetrics() {
  PmSeries& s = series_;
  std::vector<std::string> wanted = config_.metrics;
  if (wanted.empty()) wanted.assign(kDefaultPmMetrics, kDefaultPmMetrics + kDefaultPmMetricCount);
  std::vector<std::string> accepted;
  for (const std::string& m : wanted) {
    std::vector<std::string> trial = accepted;
    trial.push_back(m);
    CUptiResult status = CUPTI_SUCCESS;
    const size_t passes = configure(trial, status);
    if (passes == 0) {  // refused (CUPTI_ERROR_INVALID_METRIC_NAME, usually)
      s.unsupportedMetrics.push_back(m);
    } else if (passes > 1) {
      s.droppedMetrics.push_back(m);
    } else {
      accepted = std::move(trial);
    }
  }
  if (accepted.empty()) {
    s.reason = "this GPU (" + s.chip + ") cannot sample any of the requested metrics in one pass";
    return false;
  }
  CUptiResult status = CUPTI_SUCCESS;
  if (configure(accepted, status) != 1) return refuse(status, "cuptiProfilerHost config");
  s.metrics = accepted;
  metricNames_.clear();
  for (const std::string& m : s.metrics) metricNames_.push_back(m.c_str());
  return true;
}

// PM sampling enabled on the device with the chosen config, and the counter data image it decodes into.
bool PmSampler::enableSampling() {
  cupti::Api& api = cupti::api();
  CUpti_PmSampling_Enable_Params enable{CUpti_PmSampling_Enable_Params_STRUCT_SIZE};
  enable.deviceIndex = static_cast<size_t>(config_.device);
  CUptiResult st = api.pmEnable(&enable);
  if (st != CUPTI_SUCCESS) return refuse(st, "cuptiPmSamplingEnable");
  samplingObject_ = enable.pPmSamplingObject;

  CUpti_PmSampling_SetConfig_Params cfg{CUpti_PmSampling_SetConfig_Params_STRUCT_SIZE};
  cfg.pPmSamplingObject = samplerOf(samplingObject_);
  cfg.configSize = configImage_.size();
  cfg.pConfig = configImage_.data();
  cfg.hardwareBufferSize = config_.hardwareBufferBytes;
  cfg.samplingInterval = config_.intervalNs;
  cfg.triggerMode = CUPTI_PM_SAMPLING_TRIGGER_MODE_GPU_TIME_INTERVAL;
  cfg.hwBufferAppendMode = CUPTI_PM_SAMPLING_HARDWARE_BUFFER_APPEND_MODE_KEEP_OLDEST;
  st = api.pmSetConfig(&cfg);
  if (st != CUPTI_SUCCESS) return refuse(st, "cuptiPmSamplingSetConfig (time-interval trigger)");

  CUpti_PmSampling_GetCounterDataSize_Params dataSize{CUpti_PmSampling_GetCounterDataSize_Params_STRUCT_SIZE};
  dataSize.pPmSamplingObject = samplerOf(samplingObject_);
  dataSize.pMetricNames = metricNames_.data();
  dataSize.numMetrics = metricNames_.size();
  dataSize.maxSamples = config_.maxSamplesPerImage;
  st = api.pmGetCounterDataSize(&dataSize);
  if (st != CUPTI_SUCCESS) return refuse(st, "cuptiPmSamplingGetCounterDataSize");
  counterData_.assign(dataSize.counterDataSize, 0);
  CUpti_PmSampling_CounterDataImage_Initialize_Params initImage{
      CUpti_PmSampling_CounterDataImage_Initialize_Params_STRUCT_SIZE};
  initImage.pPmSamplingObject = samplerOf(samplingObject_);
  initImage.counterDataSize = counterData_.size();
  initImage.pCounterData = counterData_.data();
  st = api.pmCounterDataImageInitialize(&initImage);
  if (st != CUPTI_SUCCESS) return refuse(st, "cuptiPmSamplingCounterDataImageInitialize");
  processed_ = 0;
  series_.values.assign(series_.metrics.size(), {});
  return true;
}

size_t PmSampler::configure(const std::vector<std::string>& metrics, CUptiResult& status) {
  cupti::Api& api = cupti::api();
  if (hostObject_ != nullptr) {
    CUpti_Profiler_Host_Deinitialize_Params d{CUpti_Profiler_Host_Deinitialize_Params_STRUCT_SIZE};
    d.pHostObject = hostOf(hostObject_);
    api.hostDeinitialize(&d);
    hostObject_ = nullptr;
  }
  CUpti_Profiler_Host_Initialize_Params hi{CUpti_Profiler_Host_Initialize_Params_STRUCT_SIZE};
  hi.profilerType = CUPTI_PROFILER_TYPE_PM_SAMPLING;
  hi.pChipName = series_.chip.c_str();
  hi.pCounterAvailabilityImage = counterAvailability_.data();
  if ((status = api.hostInitialize(&hi)) != CUPTI_SUCCESS) return 0;
  hostObject_ = hi.pHostObject;
  std::vector<const char*> names;
  for (const std::string& m : metrics) names.push_back(m.c_str());
  CUpti_Profiler_Host_ConfigAddMetrics_Params add{CUpti_Profiler_Host_ConfigAddMetrics_Params_STRUCT_SIZE};
  add.pHostObject = hostOf(hostObject_);
  add.ppMetricNames = names.data();
  add.numMetrics = names.size();
  if ((status = api.hostConfigAddMetrics(&add)) != CUPTI_SUCCESS) return 0;
  CUpti_Profiler_Host_GetConfigImageSize_Params size{CUpti_Profiler_Host_GetConfigImageSize_Params_STRUCT_SIZE};
  size.pHostObject = hostOf(hostObject_);
  if ((status = api.hostGetConfigImageSize(&size)) != CUPTI_SUCCESS) return 0;
  configImage_.assign(size.configImageSize, 0);
  CUpti_Profiler_Host_GetConfigImage_Params image{CUpti_Profiler_Host_GetConfigImage_Params_STRUCT_SIZE};
  image.pHostObject = hostOf(hostObject_);
  image.configImageSize = configImage_.size();
  image.pConfigImage = configImage_.data();
  if ((status = api.hostGetConfigImage(&image)) != CUPTI_SUCCESS) return 0;
  CUpti_Profiler_Host_GetNumOfPasses_Params passes{CUpti_Profiler_Host_GetNumOfPasses_Params_STRUCT_SIZE};
  passes.configImageSize = configImage_.size();
  passes.pConfigImage = configImage_.data();
  if ((status = api.hostGetNumOfPasses(&passes)) != CUPTI_SUCCESS) return 0;
  return passes.numOfPasses;
}

void PmSampler::decode(bool final) {
  cupti::Api& api = cupti::api();
  PmSeries& s = series_;
  for (int round = 0; round < (final ? 64 : 8); ++round) {
    CUpti_PmSampling_DecodeData_Params d{CUpti_PmSampling_DecodeData_Params_STRUCT_SIZE};
    d.pPmSamplingObject = samplerOf(samplingObject_);
    d.pCounterDataImage = counterData_.data();
    d.counterDataImageSize = counterData_.size();
    const CUptiResult st = api.pmDecodeData(&d);
    if (d.overflow) ++s.overflows;
    if (st != CUPTI_SUCCESS) {
      ++s.decodeErrors;
      s.lastDecodeError = std::string("cuptiPmSamplingDecodeData: ") + cupti::resultName(st);
    }
    CUpti_PmSampling_GetCounterDataInfo_Params info{CUpti_PmSampling_GetCounterDataInfo_Params_STRUCT_SIZE};
    info.pCounterDataImage = counterData_.data();
    info.counterDataImageSize = counterData_.size();
    if (api.pmGetCounterDataInfo(&info) != CUPTI_SUCCESS) return;
    std::vector<double> values(metricNames_.size());
    for (size_t i = processed_; i < info.numCompletedSamples; ++i) {
      CUpti_PmSampling_CounterData_GetSampleInfo_Params si{
          CUpti_PmSampling_CounterData_GetSampleInfo_Params_STRUCT_SIZE};
      si.pPmSamplingObject = samplerOf(samplingObject_);
      si.pCounterDataImage = counterData_.data();
      si.counterDataImageSize = counterData_.size();
      si.sampleIndex = i;
      if (api.pmGetSampleInfo(&si) != CUPTI_SUCCESS) continue;
      CUpti_Profiler_Host_EvaluateToGpuValues_Params ev{CUpti_Profiler_Host_EvaluateToGpuValues_Params_STRUCT_SIZE};
      ev.pHostObject = hostOf(hostObject_);
      ev.pCounterDataImage = counterData_.data();
      ev.counterDataImageSize = counterData_.size();
      ev.rangeIndex = i;
      ev.ppMetricNames = metricNames_.data();
      ev.numMetrics = metricNames_.size();
      ev.pMetricValues = values.data();
      if (api.hostEvaluateToGpuValues(&ev) != CUPTI_SUCCESS) continue;
      s.start.push_back(si.startTimestamp);
      s.end.push_back(si.endTimestamp);
      for (size_t m = 0; m < values.size(); ++m) s.values[m].push_back(values[m]);
    }
    processed_ = info.numCompletedSamples;
    const bool full = d.decodeStopReason == CUPTI_PM_SAMPLING_DECODE_STOP_REASON_COUNTER_DATA_FULL ||
                      info.numCompletedSamples >= info.numTotalSamples;
    if (full) {  // every sample in the image was read: start it afresh and decode on
      CUpti_PmSampling_CounterDataImage_Initialize_Params re{
          CUpti_PmSampling_CounterDataImage_Initialize_Params_STRUCT_SIZE};
      re.pPmSamplingObject = samplerOf(samplingObject_);
      re.counterDataSize = counterData_.size();
      re.pCounterData = counterData_.data();
      api.pmCounterDataImageInitialize(&re);
      processed_ = 0;
      continue;
    }
    if (st != CUPTI_SUCCESS || d.decodeStopReason == CUPTI_PM_SAMPLING_DECODE_STOP_REASON_END_OF_RECORDS) return;
  }
}

void PmSampler::teardown() {
  cupti::Api& api = cupti::api();
  if (samplingObject_ != nullptr) {
    CUpti_PmSampling_Disable_Params d{CUpti_PmSampling_Disable_Params_STRUCT_SIZE};
    d.pPmSamplingObject = samplerOf(samplingObject_);
    api.pmDisable(&d);
    samplingObject_ = nullptr;
  }
  if (hostObject_ != nullptr) {
    CUpti_Profiler_Host_Deinitialize_Params d{CUpti_Profiler_Host_Deinitialize_Params_STRUCT_SIZE};
    d.pHostObject = hostOf(hostObject_);
    api.hostDeinitialize(&d);
    hostObject_ = nullptr;
  }
  if (profilerInitialized_ && api.profilerDeInitialize) {
    CUpti_Profiler_DeInitialize_Params d{CUpti_Profiler_DeInitialize_Params_STRUCT_SIZE};
    api.profilerDeInitialize(&d);
    profilerInitialized_ = false;
  }
  timer_.release();
}

}  // namespace gsm
