// NVML, loaded with dlopen at run time (libnvidia-ml.so.1 comes with the driver, so the addon loads
// where no driver is installed). This header declares the few NVML types, constants and functions
// the project uses; there is no nvml.h on the development machines.
//
// Where the declarations come from: NVIDIA's public nvml.h, NVML_API_VERSION 13 (the copy that ships
// in NVIDIA/go-nvml, pkg/nvml/nvml.h, read 2026-11-29) and the NVML API reference
// (docs.nvidia.com/deploy/nvml-api). Every struct below has the layout given there; the comment on
// each says which NVML type it stands for. Functions are bound by their versioned symbol names
// (nvmlInit_v2, nvmlDeviceGetComputeRunningProcesses_v3, nvmlEventSetWait_v2, ...), which is what
// nvml.h's macros resolve to.
#pragma once

#include <cstdint>
#include <string>
#include "libraries/shared_library.h"

namespace gsm {
namespace nvml {

using Return = int;                         // nvmlReturn_t
using Device = struct nvmlDevice_st*;       // nvmlDevice_t
using EventSet = struct nvmlEventSet_st*;   // nvmlEventSet_t

// nvmlReturn_t values used here.
constexpr Return kSuccess = 0;
constexpr Return kErrorUninitialized = 1;
constexpr Return kErrorInvalidArgument = 2;
constexpr Return kErrorNotSupported = 3;
constexpr Return kErrorNoPermission = 4;
constexpr Return kErrorNotFound = 6;
constexpr Return kErrorInsufficientSize = 7;
constexpr Return kErrorTimeout = 10;
constexpr Return kErrorFunctionNotFound = 13;
constexpr Return kErrorGpuIsLost = 15;
constexpr Return kErrorArgumentVersionMismatch = 25;

// nvmlClockType_t
constexpr int kClockGraphics = 0, kClockSm = 1, kClockMem = 2;
// nvmlTemperatureSensors_t
constexpr int kTemperatureGpu = 0;
// nvmlMemoryErrorType_t and nvmlEccCounterType_t
constexpr int kMemoryErrorCorrected = 0, kMemoryErrorUncorrected = 1;
constexpr int kVolatileEcc = 0;

// nvmlEventType* bit masks (nvml.h "Event Types").
constexpr unsigned long long kEventSingleBitEccError = 0x1ULL;
constexpr unsigned long long kEventDoubleBitEccError = 0x2ULL;
constexpr unsigned long long kEventPState = 0x4ULL;
constexpr unsigned long long kEventXidCriticalError = 0x8ULL;
constexpr unsigned long long kEventClock = 0x10ULL;

// nvmlMemory_t
struct Memory {
  unsigned long long total, free, used;
};
// nvmlUtilization_t
struct Utilization {
  unsigned int gpu, memory;
};
// nvmlProcessInfo_t (= nvmlProcessInfo_v2_t), filled by the _v3 process queries.
struct ProcessInfo {
  unsigned int pid;
  unsigned long long usedGpuMemory;  // bytes; NVML_VALUE_NOT_AVAILABLE (all ones) when unknown
  unsigned int gpuInstanceId;        // 0xFFFFFFFF when MIG is off
  unsigned int computeInstanceId;
};
// nvmlProcessUtilizationSample_t: one process's utilisation over one of NVML's sampling intervals
// (nvmlDeviceGetProcessUtilization).
struct ProcessUtilizationSample {
  unsigned int pid;
  unsigned long long timeStamp;  // CPU time stamp, microseconds
  unsigned int smUtil, memUtil, encUtil, decUtil;  // percent
};
// nvmlProcessUtilizationInfo_v1_t and nvmlProcessesUtilizationInfo_v1_t
// (nvmlDeviceGetProcessesUtilizationInfo, driver 550 and later).
struct ProcessUtilizationInfo {
  unsigned long long timeStamp;  // CPU time stamp, microseconds
  unsigned int pid;
  unsigned int smUtil, memUtil, encUtil, decUtil, jpgUtil, ofaUtil;  // percent
};
struct ProcessesUtilizationInfo {
  unsigned int version;
  unsigned int processSamplesCount;     // in: the array's size; out: the samples written (or needed)
  unsigned long long lastSeenTimeStamp;  // only samples after this time stamp
  ProcessUtilizationInfo* procUtilArray;
};
// nvmlProcessesUtilizationInfo_v1: NVML_STRUCT_VERSION(ProcessesUtilizationInfo, 1).
constexpr unsigned int kProcessesUtilizationInfoVersion =
    static_cast<unsigned int>(sizeof(ProcessesUtilizationInfo)) | (1u << 24);
static_assert(sizeof(ProcessUtilizationSample) == 32, "nvmlProcessUtilizationSample_t is 32 bytes");
static_assert(sizeof(ProcessUtilizationInfo) == 40, "nvmlProcessUtilizationInfo_v1_t is 40 bytes");
static_assert(sizeof(ProcessesUtilizationInfo) == 24, "nvmlProcessesUtilizationInfo_v1_t is 24 bytes");
// nvmlEventData_t
struct EventData {
  Device device;
  unsigned long long eventType;
  unsigned long long eventData;  // the Xid for nvmlEventTypeXidCriticalError
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
};

// GPM (GPU Performance Monitoring, Hopper and later). nvmlGpmSample_t is a struct that holds one
// pointer, so it is passed exactly like a pointer.
struct GpmSample {
  void* handle;
};
// nvmlGpmMetricId_t values used here (nvml.h "GPM Enums").
enum GpmMetricId : unsigned int {
  kGpmGraphicsUtil = 1,
  kGpmSmUtil = 2,          // percentage of SMs that were busy
  kGpmSmOccupancy = 3,     // active warps vs the theoretical maximum
  kGpmAnyTensorUtil = 5,   // SMs doing any tensor operation
  kGpmHmmaTensorUtil = 7,  // SMs doing HMMA (fp16/bf16) tensor operations
  kGpmDramBwUtil = 10,     // DRAM bandwidth vs the theoretical maximum
  kGpmFp32Util = 12,
  kGpmFp16Util = 13,
};
// nvmlGpmMetric_t
struct GpmMetric {
  unsigned int metricId;
  Return nvmlReturn;
  double value;
  struct {
    char* shortName;
    char* longName;
    char* unit;
  } metricInfo;
};
// nvmlGpmMetricsGet_t. nvml.h sizes metrics[] with NVML_GPM_METRIC_MAX (333 in API 13); NVML reads
// and writes only the first numMetrics entries, so a shorter array is enough.
constexpr unsigned int kGpmMetricsGetVersion = 1;  // NVML_GPM_METRICS_GET_VERSION
constexpr unsigned int kGpmMaxMetrics = 16;
struct GpmMetricsGet {
  unsigned int version;
  unsigned int numMetrics;
  GpmSample sample1;
  GpmSample sample2;
  GpmMetric metrics[kGpmMaxMetrics];
};
// nvmlGpmSupport_t
constexpr unsigned int kGpmSupportVersion = 1;  // NVML_GPM_SUPPORT_VERSION
struct GpmSupport {
  unsigned int version;
  unsigned int isSupportedDevice;
};

// `unavailable` is empty when NVML is loaded and initialised.
struct Api : LoadedLibrary {
  Return (*init)() = nullptr;
  const char* (*errorString)(Return) = nullptr;
  Return (*driverVersion)(char*, unsigned) = nullptr;
  Return (*cudaDriverVersion)(int*) = nullptr;
  Return (*deviceCount)(unsigned*) = nullptr;
  Return (*handleByIndex)(unsigned, Device*) = nullptr;
  Return (*name)(Device, char*, unsigned) = nullptr;
  Return (*uuid)(Device, char*, unsigned) = nullptr;
  Return (*memory)(Device, Memory*) = nullptr;
  Return (*clock)(Device, int, unsigned*) = nullptr;
  Return (*maxClock)(Device, int, unsigned*) = nullptr;
  Return (*computeMode)(Device, int*) = nullptr;
  Return (*migMode)(Device, unsigned*, unsigned*) = nullptr;
  Return (*persistence)(Device, int*) = nullptr;
  Return (*temperature)(Device, int, unsigned*) = nullptr;
  Return (*power)(Device, unsigned*) = nullptr;                // mW
  Return (*powerLimit)(Device, unsigned*) = nullptr;           // enforced limit, mW
  Return (*energy)(Device, unsigned long long*) = nullptr;     // mJ since the driver loaded
  Return (*utilization)(Device, Utilization*) = nullptr;
  Return (*eventReasons)(Device, unsigned long long*) = nullptr;
  Return (*eccMode)(Device, int*, int*) = nullptr;
  Return (*eccErrors)(Device, int, int, unsigned long long*) = nullptr;
  Return (*computeProcesses)(Device, unsigned*, ProcessInfo*) = nullptr;
  Return (*mpsProcesses)(Device, unsigned*, ProcessInfo*) = nullptr;
  Return (*processName)(unsigned, char*, unsigned) = nullptr;
  Return (*processUtilization)(Device, ProcessUtilizationSample*, unsigned*, unsigned long long) = nullptr;
  Return (*processesUtilizationInfo)(Device, ProcessesUtilizationInfo*) = nullptr;
  Return (*maxMigDeviceCount)(Device, unsigned*) = nullptr;
  Return (*migDeviceByIndex)(Device, unsigned, Device*) = nullptr;
  Return (*gpuInstanceId)(Device, unsigned*) = nullptr;
  Return (*supportedEventTypes)(Device, unsigned long long*) = nullptr;
  Return (*eventSetCreate)(EventSet*) = nullptr;
  Return (*registerEvents)(Device, unsigned long long, EventSet) = nullptr;
  Return (*eventSetWait)(EventSet, EventData*, unsigned) = nullptr;
  Return (*eventSetFree)(EventSet) = nullptr;
  Return (*gpmQuerySupport)(Device, GpmSupport*) = nullptr;
  Return (*gpmSampleAlloc)(GpmSample*) = nullptr;
  Return (*gpmSampleFree)(GpmSample) = nullptr;
  Return (*gpmSampleGet)(Device, GpmSample) = nullptr;
  Return (*gpmMigSampleGet)(Device, unsigned, GpmSample) = nullptr;
  Return (*gpmMetricsGet)(GpmMetricsGet*) = nullptr;
};

// Loads and initialises NVML once per process; later calls return the same object. NVML is
// thread-safe, so the returned functions may be called from any thread.
Api& api();

// "NVML_ERROR_NOT_SUPPORTED (Not Supported)" for a return code.
std::string describe(Return status);

}  // namespace nvml
}  // namespace gsm
