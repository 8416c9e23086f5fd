#include "observers/cupti_kernel_activity.h"

#include <cxxabi.h>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <unordered_map>
#include "libraries/cupti_api.h"
#include "core/errors.h"

namespace gsm {
namespace {

constexpr size_t kBufferBytes = 8u << 20;  // one activity buffer; CUPTI asks for more as it fills them
constexpr size_t kAlign = 8;               // activity buffers must be 8-byte aligned

struct Collection {
  std::mutex mutex;
  bool running = false;
  bool callbacksRegistered = false;
  ActivityConfig config;
  KernelActivityRecords records;
  std::unordered_map<std::string, uint32_t> nameIds;
  std::unique_ptr<GlobalTimerReader> timer;
};

Collection& collection() {
  static Collection c;
  return c;
}

std::string demangle(const char* name) {
  if (name == nullptr) return "?";
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) return name;
  std::string s(out);
  std::free(out);
  return s;
}

void CUPTIAPI bufferRequested(uint8_t** buffer, size_t* size, size_t* maxNumRecords) {
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(kAlign, kBufferBytes));
  *size = *buffer == nullptr ? 0 : kBufferBytes;
  *maxNumRecords = 0;  // as many as fit
}

void CUPTIAPI bufferCompleted(CUcontext context, uint32_t streamId, uint8_t* buffer, size_t, size_t validSize) {
  cupti::Api& api = cupti::api();
  Collection& c = collection();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    KernelActivityRecords& r = c.records;
    CUpti_Activity* record = nullptr;
    while (validSize > 0 && api.activityGetNextRecord(buffer, validSize, &record) == CUPTI_SUCCESS) {
      if (record->kind != CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL && record->kind != CUPTI_ACTIVITY_KIND_KERNEL) {
        ++r.otherRecords;
        continue;
      }
      if (r.start.size() >= c.config.maxRecords) {
        ++r.droppedOverLimit;
        continue;
      }
      // The fields read here sit at the same offsets in every CUpti_ActivityKernel version since 4.
      const auto* k = reinterpret_cast<const CUpti_ActivityKernel10*>(record);
      const std::string raw = k->name ? k->name : "?";
      auto found = c.nameIds.find(raw);
      uint32_t id = 0;
      if (found == c.nameIds.end()) {
        id = static_cast<uint32_t>(r.names.size());
        r.names.push_back(demangle(k->name));
        c.nameIds.emplace(raw, id);
      } else {
        id = found->second;
      }
      r.start.push_back(k->start);
      r.end.push_back(k->end);
      r.deviceId.push_back(k->deviceId);
      r.contextId.push_back(k->contextId);
      r.streamId.push_back(k->streamId);
      r.correlationId.push_back(k->correlationId);
      r.nameIndex.push_back(id);
      r.grid.insert(r.grid.end(), {k->gridX, k->gridY, k->gridZ});
      r.block.insert(r.block.end(), {k->blockX, k->blockY, k->blockZ});
      r.registersPerThread.push_back(k->registersPerThread);
      r.sharedMemoryBytes.push_back(static_cast<uint32_t>(k->staticSharedMemory + k->dynamicSharedMemory));
    }
    size_t dropped = 0;
    if (api.activityGetNumDroppedRecords &&
        api.activityGetNumDroppedRecords(context, streamId, &dropped) == CUPTI_SUCCESS) {
      r.droppedByCupti += dropped;
    }
  }
  std::free(buffer);
}

void refuse(KernelActivityRecords& r, CUptiResult status, const char* call) {
  r.available = false;
  r.cuptiError = cupti::resultName(status);
  r.reason = std::string(call) + " failed: " + cupti::plainReason(status);
}

}  // namespace

bool activityRunning() {
  Collection& c = collection();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.running;
}

KernelActivityRecords activityStart(const ActivityConfig& config) {
  Collection& c = collection();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.running)
      throw NativeFailure({"ERR_STATE", "CUPTI kernel activity is already being collected in this process", "", ""});
  }
  KernelActivityRecords status;
  cupti::Api& api = cupti::api();
  if (!api.unavailable.empty()) {
    status.reason = api.unavailable;
    return status;
  }
  status.library = api.file;
  if (!api.hasActivity()) {
    status.reason = api.file + " lacks the activity API functions this needs";
    return status;
  }
  // The clock reading at the start comes before tracing, so its own kernel is not recorded.
  std::unique_ptr<GlobalTimerReader> timer;
  ClockTriple clock;
  std::string clockReason;
  if (config.globalTimer) {
    try {
      timer = std::make_unique<GlobalTimerReader>();
      timer->init(config.device);
      clock = timer->read();
    } catch (const NativeFailure& failure) {
      timer.reset();
      if (failure.info().code == "ERR_NO_GPU") {  // CUPTI would fail too, less plainly
        status.reason = "no usable GPU: " + failure.info().message;
        status.cuptiError.clear();
        return status;
      }
      clockReason = "%globaltimer not read: " + failure.info().message;
      clock = readHostAndCupti();
    }
  } else {
    clockReason = "%globaltimer reading not requested";
    clock = readHostAndCupti();
  }
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.records = KernelActivityRecords{};
    c.nameIds.clear();
    c.config = config;
  }
  if (!c.callbacksRegistered) {
    const CUptiResult st = api.activityRegisterCallbacks(bufferRequested, bufferCompleted);
    if (st != CUPTI_SUCCESS) {
      refuse(status, st, "cuptiActivityRegisterCallbacks");
      return status;
    }
    c.callbacksRegistered = true;
  }
  const CUptiResult st = api.activityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
  if (st != CUPTI_SUCCESS) {
    refuse(status, st, "cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL)");
    return status;
  }
  std::lock_guard<std::mutex> lock(c.mutex);
  c.running = true;
  c.timer = std::move(timer);
  c.records.available = true;
  c.records.library = api.file;
  c.records.clockStart = clock;
  c.records.clockReason = clockReason;
  status.available = true;
  status.clockStart = clock;
  status.clockReason = clockReason;
  return status;
}

KernelActivityRecords activityStop() {
  Collection& c = collection();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (!c.running) throw NativeFailure({"ERR_STATE", "CUPTI kernel activity is not being collected", "", ""});
  }
  cupti::Api& api = cupti::api();
  // Wait for the work already queued, so its records are complete, then flush them all.
  if (c.timer) cudaDeviceSynchronize();
  api.activityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
  api.activityDisable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
  api.activityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
  ClockTriple clock;
  std::string clockReason;
  if (c.timer) {
    try {
      clock = c.timer->read();
    } catch (const NativeFailure& failure) {
      clockReason = "%globaltimer not read at the end: " + failure.info().message;
      clock = readHostAndCupti();
    }
    c.timer->release();
  } else {
    clock = readHostAndCupti();
  }
  std::lock_guard<std::mutex> lock(c.mutex);
  c.timer.reset();
  c.running = false;
  KernelActivityRecords out = std::move(c.records);
  c.records = KernelActivityRecords{};
  c.nameIds.clear();
  out.clockEnd = clock;
  if (!clockReason.empty() && out.clockReason.empty()) out.clockReason = clockReason;
  return out;
}

}  // namespace gsm
