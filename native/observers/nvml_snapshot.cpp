#include "observers/nvml_snapshot.h"

#include <algorithm>

namespace gsm {
namespace {

constexpr unsigned kNoInstance = 0xFFFFFFFFu;                // MIG ids when MIG is off
constexpr unsigned long long kValueNotAvailable = ~0ULL;     // NVML_VALUE_NOT_AVAILABLE as u64

// Calls one of the _v3 process queries, growing the buffer until it fits.
nvml::Return listProcesses(nvml::Return (*fn)(nvml::Device, unsigned*, nvml::ProcessInfo*), nvml::Device dev,
                           std::vector<nvml::ProcessInfo>& out) {
  unsigned count = 0;
  nvml::Return status = fn(dev, &count, nullptr);
  if (status == nvml::kSuccess) {  // no process at all
    out.clear();
    return status;
  }
  for (int attempt = 0; attempt < 4 && status == nvml::kErrorInsufficientSize; ++attempt) {
    out.resize(count + 16);
    count = static_cast<unsigned>(out.size());
    status = fn(dev, &count, out.data());
    if (status == nvml::kSuccess) out.resize(count);
  }
  return status;
}

}  // namespace

std::optional<std::vector<ProcessUse>> readProcesses(nvml::Api& api, nvml::Device dev, std::string& reason) {
  if (api.computeProcesses == nullptr) {
    reason = "this NVML has no nvmlDeviceGetComputeRunningProcesses_v3 (driver older than 510)";
    return std::nullopt;
  }
  std::vector<nvml::ProcessInfo> compute, mps;
  const nvml::Return status = listProcesses(api.computeProcesses, dev, compute);
  if (status != nvml::kSuccess) {
    reason = "nvmlDeviceGetComputeRunningProcesses_v3: " + nvml::describe(status);
    return std::nullopt;
  }
  if (api.mpsProcesses != nullptr && listProcesses(api.mpsProcesses, dev, mps) != nvml::kSuccess) mps.clear();
  std::vector<ProcessUse> out;
  auto add = [&](const nvml::ProcessInfo& p, bool isMps) {
    auto found = std::find_if(out.begin(), out.end(), [&](const ProcessUse& u) { return u.pid == p.pid; });
    if (found != out.end()) {  // an MPS client is also listed as a compute process
      found->mps = found->mps || isMps;
      return;
    }
    ProcessUse u;
    u.pid = p.pid;
    u.mps = isMps;
    if (p.usedGpuMemory != kValueNotAvailable) u.usedBytes = p.usedGpuMemory;
    if (p.gpuInstanceId != kNoInstance) u.gpuInstanceId = p.gpuInstanceId;
    if (p.computeInstanceId != kNoInstance) u.computeInstanceId = p.computeInstanceId;
    char name[256] = {0};
    if (api.processName && api.processName(p.pid, name, sizeof name) == nvml::kSuccess) u.name = name;
    out.push_back(std::move(u));
  };
  for (const auto& p : mps) add(p, true);
  for (const auto& p : compute) add(p, false);
  return out;
}

std::optional<EccCounts> readEcc(nvml::Api& api, nvml::Device dev, std::string& reason) {
  if (api.eccErrors == nullptr) {
    reason = "this NVML has no nvmlDeviceGetTotalEccErrors";
    return std::nullopt;
  }
  EccCounts c;
  nvml::Return status = api.eccErrors(dev, nvml::kMemoryErrorCorrected, nvml::kVolatileEcc, &c.corrected);
  if (status == nvml::kSuccess) {
    status = api.eccErrors(dev, nvml::kMemoryErrorUncorrected, nvml::kVolatileEcc, &c.uncorrected);
  }
  if (status != nvml::kSuccess) {
    reason = "nvmlDeviceGetTotalEccErrors: " + nvml::describe(status);
    return std::nullopt;
  }
  return c;
}

std::optional<bool> gpmSupport(nvml::Api& api, nvml::Device dev, std::string& reason) {
  if (api.gpmQuerySupport == nullptr || api.gpmSampleGet == nullptr || api.gpmMetricsGet == nullptr) {
    reason = "this driver's NVML has no GPM interface (nvmlGpm*; driver 520 or later)";
    return std::nullopt;
  }
  nvml::GpmSupport support{nvml::kGpmSupportVersion, 0};
  const nvml::Return status = api.gpmQuerySupport(dev, &support);
  if (status != nvml::kSuccess) {
    reason = "nvmlGpmQueryDeviceSupport: " + nvml::describe(status);
    return false;
  }
  if (support.isSupportedDevice == 0) {
    reason = "this GPU does not support GPM (Hopper or newer is needed)";
    return false;
  }
  return true;
}

namespace {

// The MIG devices of a device with MIG on.
std::vector<MigDeviceState> readMigDevices(nvml::Api& api, nvml::Device dev) {
  std::vector<MigDeviceState> out;
  unsigned maxMig = 0;
  if (!api.maxMigDeviceCount || !api.migDeviceByIndex || api.maxMigDeviceCount(dev, &maxMig) != nvml::kSuccess)
    return out;
  char buf[128] = {0};
  for (unsigned m = 0; m < maxMig; ++m) {
    nvml::Device mig = nullptr;
    if (api.migDeviceByIndex(dev, m, &mig) != nvml::kSuccess) continue;
    MigDeviceState md;
    md.index = m;
    unsigned gi = 0;
    if (api.gpuInstanceId && api.gpuInstanceId(mig, &gi) == nvml::kSuccess) md.gpuInstanceId = gi;
    if (api.uuid && api.uuid(mig, buf, sizeof buf) == nvml::kSuccess) md.uuid = buf;
    nvml::Memory mm{};
    if (api.memory && api.memory(mig, &mm) == nvml::kSuccess) {
      md.memTotal = mm.total;
      md.memUsed = mm.used;
    }
    out.push_back(std::move(md));
  }
  return out;
}

// Memory, clocks, temperature, power, energy and utilisation: each field only where NVML reads it.
void readGauges(nvml::Api& api, nvml::Device dev, DeviceState& d) {
  nvml::Memory mem{};
  if (api.memory && api.memory(dev, &mem) == nvml::kSuccess) {
    d.memTotal = mem.total;
    d.memUsed = mem.used;
  }
  unsigned v = 0;
  auto read = [&](nvml::Return (*fn)(nvml::Device, int, unsigned*), int type, std::optional<unsigned>& out) {
    if (fn && fn(dev, type, &v) == nvml::kSuccess) out = v;
  };
  read(api.clock, nvml::kClockSm, d.smClock);
  read(api.clock, nvml::kClockMem, d.memClock);
  read(api.clock, nvml::kClockGraphics, d.graphicsClock);
  read(api.maxClock, nvml::kClockSm, d.maxSmClock);
  read(api.maxClock, nvml::kClockMem, d.maxMemClock);
  read(api.temperature, nvml::kTemperatureGpu, d.temperature);
  if (api.power && api.power(dev, &v) == nvml::kSuccess) d.powerMw = v;
  if (api.powerLimit && api.powerLimit(dev, &v) == nvml::kSuccess) d.powerLimitMw = v;
  unsigned long long energy = 0;
  if (api.energy && api.energy(dev, &energy) == nvml::kSuccess) d.energyMj = energy;
  nvml::Utilization util{};
  if (api.utilization && api.utilization(dev, &util) == nvml::kSuccess) {
    d.utilGpu = util.gpu;
    d.utilMemory = util.memory;
  }
}

// Modes and health: compute mode, persistence, MIG, clocks-event reasons, ECC, GPM, processes.
void readModes(nvml::Api& api, nvml::Device dev, DeviceState& d) {
  int mode = 0, pending = 0;
  if (api.computeMode && api.computeMode(dev, &mode) == nvml::kSuccess) d.computeMode = mode;
  if (api.persistence && api.persistence(dev, &mode) == nvml::kSuccess) d.persistence = mode;
  unsigned migCurrent = 0, migPending = 0;
  if (api.migMode && api.migMode(dev, &migCurrent, &migPending) == nvml::kSuccess) {
    d.migCurrent = migCurrent;
    d.migPending = migPending;
  }
  unsigned long long reasons = 0;
  if (api.eventReasons && api.eventReasons(dev, &reasons) == nvml::kSuccess) d.eventReasons = reasons;
  if (api.eccMode && api.eccMode(dev, &mode, &pending) == nvml::kSuccess) d.eccEnabled = mode == 1;
  std::string ignored;
  if (d.eccEnabled.value_or(false)) d.ecc = readEcc(api, dev, ignored);
  d.gpmSupported = gpmSupport(api, dev, ignored);
  d.processes = readProcesses(api, dev, d.processesReason);
  if (d.migCurrent.value_or(0) == 1) d.migDevices = readMigDevices(api, dev);
}

}  // namespace

void takeSnapshot(Snapshot& s) {
  nvml::Api& api = nvml::api();
  if (!api.unavailable.empty()) {
    s.reason = api.unavailable;
    return;
  }
  char buf[128] = {0};
  if (api.driverVersion && api.driverVersion(buf, sizeof buf) == nvml::kSuccess) s.driverVersion = buf;
  int cudaVersion = 0;
  if (api.cudaDriverVersion && api.cudaDriverVersion(&cudaVersion) == nvml::kSuccess) s.cudaDriverVersion = cudaVersion;
  unsigned count = 0;
  const nvml::Return countStatus = api.deviceCount(&count);
  if (countStatus != nvml::kSuccess) {
    s.reason = "nvmlDeviceGetCount_v2 failed: " + nvml::describe(countStatus);
    return;
  }
  for (unsigned i = 0; i < count; ++i) {
    nvml::Device dev = nullptr;
    if (api.handleByIndex(i, &dev) != nvml::kSuccess) continue;
    DeviceState d;
    d.index = i;
    if (api.name && api.name(dev, buf, sizeof buf) == nvml::kSuccess) d.name = buf;
    if (api.uuid && api.uuid(dev, buf, sizeof buf) == nvml::kSuccess) d.uuid = buf;
    readGauges(api, dev, d);
    readModes(api, dev, d);
    s.devices.push_back(std::move(d));
  }
  s.available = true;
}

}  // namespace gsm
