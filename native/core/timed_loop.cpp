#include "core/timed_loop.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include "core/clock.h"
#include "libraries/driver_api.h"
#include "core/errors.h"
#include "core/green_context.h"

namespace gsm {

void TimedLoop::bindContext() {
  if (config_.greenContext < 0) {
    GSM_CUDA(cudaSetDevice(config_.device));
    return;
  }
  if (green_ == nullptr) green_ = greenGroup(config_.greenContext).context;
  GSM_CU(driverApi().ctxSetCurrent(green_));
}

ClockPair TimedLoop::readClocks() {
  ClockPair best;
  best.uncertaintyNs = UINT64_MAX;
  for (int i = 0; i < 5; ++i) {
    const uint64_t before = monotonicNs();
    GSM_CUDA(readGlobalTimer(timer_, stream_));
    GSM_CUDA(cudaStreamSynchronize(stream_));
    const uint64_t after = monotonicNs();
    uint64_t gpu = 0;
    GSM_CUDA(cudaMemcpy(&gpu, timer_, sizeof gpu, cudaMemcpyDeviceToHost));
    const uint64_t half = (after - before) / 2;
    if (half < best.uncertaintyNs) best = ClockPair{before + half, gpu, half};
  }
  return best;
}

PrepareInfo TimedLoop::prepare() {
  if (prepared_) throw NativeFailure({"ERR_STATE", "the loop is already prepared", "", ""});
  PrepareInfo info;
  bindContext();
  GSM_CUDA(cudaFree(nullptr));  // create the context now, not inside the timed region
  cudaDeviceProp prop{};
  GSM_CUDA(cudaGetDeviceProperties(&prop, config_.device));
  info.smsAvailable = prop.multiProcessorCount;
  if (config_.greenContext >= 0) {
    const GreenGroup group = greenGroup(config_.greenContext);
    info.smsAvailable = static_cast<int>(group.grantedSms);
    CUstream stream = nullptr;
    GSM_CU(driverApi().greenCtxStreamCreate(&stream, group.green, CU_STREAM_NON_BLOCKING, config_.streamPriority));
    stream_ = stream;
  } else {
    GSM_CUDA(cudaStreamCreateWithPriority(&stream_, cudaStreamNonBlocking, config_.streamPriority));
  }
  GSM_CUDA(cudaStreamGetPriority(stream_, &info.streamPriority));
  GSM_CUDA(cudaMalloc(&timer_, sizeof(uint64_t)));

  workload_ = makeWorkload(config_.workload);
  if (config_.greenContext >= 0) workload_->limitSms(info.smsAvailable);
  workload_->prepare(config_.device, stream_);
  ctasPerLaunch_ = workload_->ctasPerLaunch();
  const uint64_t traceLaunches = ctasPerLaunch_ > 0 ? config_.traceCapacity / static_cast<uint64_t>(ctasPerLaunch_) : 0;
  if (traceLaunches > 0) { GSM_CUDA(cudaMalloc(&trace_, traceLaunches * ctasPerLaunch_ * sizeof(Interval))); }
  const int slots = std::max(config_.depth, 1);
  startEvents_.assign(slots, nullptr);
  stopEvents_.assign(slots, nullptr);
  for (int i = 0; i < slots; ++i) {
    GSM_CUDA(cudaEventCreate(&startEvents_[i]));
    GSM_CUDA(cudaEventCreate(&stopEvents_[i]));
  }

  // Warm-up: at least three launches and at least warmupNs of them, untraced, kept `depth` deep in
  // flight as the measured loop will be, so that the clocks and the power draw settle where they
  // will stay (a warm-up that waits after each launch leaves the GPU idle between them, and a short
  // measurement after it runs at burst clocks the GPU cannot hold).
  GSM_CUDA(cudaStreamSynchronize(stream_));
  const uint64_t warmStart = monotonicNs();
  uint64_t warmDone = 0;
  do {
    GSM_CUDA(workload_->launch(stream_, nullptr));
    GSM_CUDA(cudaEventRecord(stopEvents_[info.warmupLaunches % slots], stream_));
    ++info.warmupLaunches;
    while (info.warmupLaunches - warmDone >= static_cast<uint64_t>(slots)) {
      GSM_CUDA(cudaEventSynchronize(stopEvents_[warmDone % slots]));
      ++warmDone;
    }
  } while (info.warmupLaunches < 3 || monotonicNs() - warmStart < config_.warmupNs);
  GSM_CUDA(cudaStreamSynchronize(stream_));
  info.warmupMs = static_cast<double>(monotonicNs() - warmStart) / 1e6;
  workload_->resetObservations(stream_);
  GSM_CUDA(cudaStreamSynchronize(stream_));

  info.deviceName = prop.name;
  info.smCount = prop.multiProcessorCount;
  info.ctasPerLaunch = ctasPerLaunch_;
  info.flopsPerLaunch = workload_->flopsPerLaunch();
  info.bytesPerLaunch = workload_->bytesPerLaunch();
  info.detail = workload_->describe();
  info.traceLaunchCapacity = traceLaunches;
  info.clock = readClocks();
  prepared_ = true;
  return info;
}

void TimedLoop::waitUntil(uint64_t startAtNs) {
  for (;;) {
    const uint64_t now = monotonicNs();
    if (now >= startAtNs || stop_.load(std::memory_order_relaxed)) return;
    const uint64_t left = startAtNs - now;
    if (left > 2000000) std::this_thread::sleep_for(std::chrono::nanoseconds(left - 1500000));
  }
}

LoopResult TimedLoop::run(uint64_t startAtNs) {
  if (!prepared_) throw NativeFailure({"ERR_STATE", "run() before prepare()", "", ""});
  bindContext();
  const int depth = static_cast<int>(startEvents_.size());
  const uint64_t traceLaunches = trace_ == nullptr ? 0 : config_.traceCapacity / ctasPerLaunch_;
  LoopResult result;
  result.requestedStartNs = startAtNs;
  const size_t expected = config_.launches > 0 ? config_.launches : 4096;
  result.enqueueNs.reserve(expected);
  result.latencyNs.reserve(expected);
  result.gpuNs.reserve(expected);
  std::vector<uint64_t> enqueued(depth, 0);

  waitUntil(startAtNs);
  result.startNs = monotonicNs();
  const uint64_t deadline = result.startNs + config_.durationNs;
  uint64_t issued = 0, completed = 0;

  auto complete = [&]() {  // waits for the oldest launch in flight and records it
    const int slot = static_cast<int>(completed % depth);
    GSM_CUDA(cudaEventSynchronize(stopEvents_[slot]));
    const uint64_t now = monotonicNs();
    float ms = 0;
    GSM_CUDA(cudaEventElapsedTime(&ms, startEvents_[slot], stopEvents_[slot]));
    result.latencyNs.push_back(static_cast<double>(now - enqueued[slot]));
    result.gpuNs.push_back(static_cast<double>(ms) * 1e6);
    ++completed;
  };

  for (;;) {
    if (stop_.load(std::memory_order_relaxed)) {
      result.stopped = true;
      break;
    }
    if (config_.launches > 0 ? issued >= config_.launches : monotonicNs() >= deadline) break;
    const int slot = static_cast<int>(issued % depth);
    const uint64_t traceSlot = issued / config_.traceEvery;
    Interval* trace =
        issued % config_.traceEvery == 0 && traceSlot < traceLaunches ? trace_ + traceSlot * ctasPerLaunch_ : nullptr;
    const uint64_t now = monotonicNs();
    enqueued[slot] = now;
    result.enqueueNs.push_back(static_cast<double>(now - result.startNs));
    GSM_CUDA(cudaEventRecord(startEvents_[slot], stream_));
    GSM_CUDA(workload_->launch(stream_, trace));
    GSM_CUDA(cudaEventRecord(stopEvents_[slot], stream_));
    ++issued;
    while (issued - completed >= static_cast<uint64_t>(depth)) complete();
  }
  while (completed < issued) complete();
  result.endNs = monotonicNs();
  GSM_CUDA(cudaStreamSynchronize(stream_));
  GSM_CUDA(cudaGetLastError());

  result.tracedLaunches = std::min((issued + config_.traceEvery - 1) / config_.traceEvery, traceLaunches);
  result.trace.resize(result.tracedLaunches * ctasPerLaunch_);
  if (!result.trace.empty()) {
    GSM_CUDA(cudaMemcpy(result.trace.data(), trace_, result.trace.size() * sizeof(Interval), cudaMemcpyDeviceToHost));
  }
  workload_->collectObservations(result.observations);
  workload_->resetObservations(stream_);
  result.clock = readClocks();
  return result;
}

void TimedLoop::release() {
  if (stream_ == nullptr && workload_ == nullptr && trace_ == nullptr && timer_ == nullptr) return;
  try {
    bindContext();
  } catch (...) {
    return;  // the context is gone (process exit): nothing left to free
  }
  if (stream_ != nullptr) cudaStreamSynchronize(stream_);
  for (cudaEvent_t e : startEvents_)
    if (e != nullptr) cudaEventDestroy(e);
  for (cudaEvent_t e : stopEvents_)
    if (e != nullptr) cudaEventDestroy(e);
  startEvents_.clear();
  stopEvents_.clear();
  if (workload_ != nullptr) workload_->release();
  workload_.reset();
  freeDevice(trace_);
  freeDevice(timer_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
  stream_ = nullptr;
  prepared_ = false;
}

}  // namespace gsm
