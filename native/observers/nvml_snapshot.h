// One reading of the driver and every device through NVML: what `info`, the run's environment and
// the live monitor show. A field the device does not support is absent (an empty optional), never
// zero. No N-API in here: native/bindings/nvml_binding.cpp turns these structs into JavaScript objects.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include "libraries/nvml_api.h"

namespace gsm {

struct ProcessUse {
  unsigned pid = 0;
  std::optional<unsigned long long> usedBytes;  // absent when NVML cannot tell (e.g. some MIG setups)
  std::optional<unsigned> gpuInstanceId, computeInstanceId;  // MIG only
  bool mps = false;  // listed by nvmlDeviceGetMPSComputeRunningProcesses (a client of an MPS server)
  std::string name;  // nvmlSystemGetProcessName; empty when NVML cannot tell
};

struct EccCounts {
  unsigned long long corrected = 0, uncorrected = 0;  // volatile: since the driver loaded
};

struct MigDeviceState {
  unsigned index = 0;
  std::optional<unsigned> gpuInstanceId;
  std::string uuid;
  std::optional<unsigned long long> memTotal, memUsed;
};

struct DeviceState {
  unsigned index = 0;
  std::string name, uuid;
  std::optional<unsigned long long> memTotal, memUsed;
  std::optional<unsigned> smClock, memClock, graphicsClock, maxSmClock, maxMemClock, temperature;
  std::optional<unsigned> powerMw, powerLimitMw;
  std::optional<unsigned long long> energyMj;
  std::optional<unsigned> utilGpu, utilMemory;
  std::optional<int> computeMode, persistence;
  std::optional<unsigned> migCurrent, migPending;
  std::optional<unsigned long long> eventReasons;
  std::optional<bool> eccEnabled;
  std::optional<EccCounts> ecc;
  std::optional<bool> gpmSupported;
  std::optional<std::vector<ProcessUse>> processes;  // absent when the query is not supported
  std::string processesReason;                       // why `processes` is absent
  std::vector<MigDeviceState> migDevices;
};

struct Snapshot {
  bool available = false;
  std::string reason;
  std::string driverVersion;
  std::optional<int> cudaDriverVersion;
  std::vector<DeviceState> devices;
};

// Fills `s` from NVML; never throws. s.available is false (with s.reason) without NVML.
void takeSnapshot(Snapshot& s);

// The compute processes on a device, with the MPS clients among them marked; `reason` says why
// nothing could be listed (nullopt).
std::optional<std::vector<ProcessUse>> readProcesses(nvml::Api& api, nvml::Device dev, std::string& reason);

// Volatile corrected and uncorrected ECC error counts; nullopt where ECC is off or not reported.
std::optional<EccCounts> readEcc(nvml::Api& api, nvml::Device dev, std::string& reason);

// Whether the device supports GPM (nvmlGpmQueryDeviceSupport); nullopt when the driver's NVML has
// no GPM at all. `reason` explains a false or nullopt.
std::optional<bool> gpmSupport(nvml::Api& api, nvml::Device dev, std::string& reason);

}  // namespace gsm
