#include "observers/nvml_process_utilization.h"

#include <string>

namespace gsm {
namespace {

constexpr int kAttempts = 4;  // processes may appear between the size query and the read
constexpr unsigned kSlack = 16;

// nvmlDeviceGetProcessesUtilizationInfo (driver 550 and later): one versioned struct in and out.
nvml::Return readInfo(nvml::Api& api, nvml::Device dev, unsigned long long sinceUs,
                      std::vector<ProcessUtilization>& out) {
  std::vector<nvml::ProcessUtilizationInfo> buffer;
  nvml::ProcessesUtilizationInfo info{nvml::kProcessesUtilizationInfoVersion, 0, sinceUs, nullptr};
  nvml::Return status = api.processesUtilizationInfo(dev, &info);
  for (int attempt = 0; attempt < kAttempts && status == nvml::kErrorInsufficientSize; ++attempt) {
    buffer.resize(info.processSamplesCount + kSlack);
    info = {nvml::kProcessesUtilizationInfoVersion, static_cast<unsigned>(buffer.size()), sinceUs, buffer.data()};
    status = api.processesUtilizationInfo(dev, &info);
  }
  if (status != nvml::kSuccess) return status;
  for (unsigned i = 0; i < info.processSamplesCount && i < buffer.size(); ++i) {
    const nvml::ProcessUtilizationInfo& s = buffer[i];
    out.push_back({s.pid, s.timeStamp, s.smUtil, s.memUtil, s.encUtil, s.decUtil});
  }
  return status;
}

// nvmlDeviceGetProcessUtilization (driver 367 and later): the size query, then the samples.
nvml::Return readSamples(nvml::Api& api, nvml::Device dev, unsigned long long sinceUs,
                         std::vector<ProcessUtilization>& out) {
  std::vector<nvml::ProcessUtilizationSample> buffer;
  unsigned count = 0;
  nvml::Return status = api.processUtilization(dev, nullptr, &count, sinceUs);
  for (int attempt = 0; attempt < kAttempts && status == nvml::kErrorInsufficientSize; ++attempt) {
    buffer.resize(count + kSlack);
    count = static_cast<unsigned>(buffer.size());
    status = api.processUtilization(dev, buffer.data(), &count, sinceUs);
  }
  if (status != nvml::kSuccess) return status;
  for (unsigned i = 0; i < count && i < buffer.size(); ++i) {
    const nvml::ProcessUtilizationSample& s = buffer[i];
    out.push_back({s.pid, s.timeStamp, s.smUtil, s.memUtil, s.encUtil, s.decUtil});
  }
  return status;
}

}  // namespace

ProcessUtilizationReading readProcessUtilization(unsigned index, unsigned long long sinceUs) {
  ProcessUtilizationReading r;
  nvml::Api& api = nvml::api();
  if (!api.unavailable.empty()) {
    r.reason = api.unavailable;
    return r;
  }
  nvml::Device dev = nullptr;
  const nvml::Return handle = api.handleByIndex(index, &dev);
  if (handle != nvml::kSuccess) {
    r.reason = "nvmlDeviceGetHandleByIndex_v2(" + std::to_string(index) + "): " + nvml::describe(handle);
    return r;
  }
  if (api.processesUtilizationInfo == nullptr && api.processUtilization == nullptr) {
    r.reason = "this NVML has neither nvmlDeviceGetProcessesUtilizationInfo nor nvmlDeviceGetProcessUtilization";
    return r;
  }
  nvml::Return status = nvml::kErrorFunctionNotFound;
  if (api.processesUtilizationInfo != nullptr) {
    r.source = "nvmlDeviceGetProcessesUtilizationInfo";
    status = readInfo(api, dev, sinceUs, r.samples);
  }
  // An older driver may export the new function yet refuse it: the older one may still answer.
  const bool tryOlder = status == nvml::kErrorNotSupported || status == nvml::kErrorFunctionNotFound ||
                        status == nvml::kErrorInvalidArgument || status == nvml::kErrorArgumentVersionMismatch;
  if (tryOlder && api.processUtilization != nullptr) {
    r.samples.clear();
    r.source = "nvmlDeviceGetProcessUtilization";
    status = readSamples(api, dev, sinceUs, r.samples);
  }
  if (status == nvml::kSuccess || status == nvml::kErrorNotFound) {  // NOT_FOUND: no sample since `sinceUs`
    r.reported = true;
    return r;
  }
  r.samples.clear();
  r.reason = r.source + ": " + nvml::describe(status);
  return r;
}

}  // namespace gsm
