#include "core/timed_loop.h"

#include <algorithm>
#include <chrono>
#include <cmath>
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
  info.layers = workload_->layers();
  info.deviceBytes = workload_->deviceBytes();
  info.resident = workload_->resident();
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

// The launches in flight, oldest first, and what is recorded of each: its enqueue (enqueueNs), the
// moment its latency counts from (its enqueue, or its scheduled arrival in an open loop), its CUDA
// events (slot: launch number mod depth) and its trace slot. The drivers below decide when to issue
// and when to wait; all recording happens here, so that the three measure alike.
class TimedLoop::Recorder {
 public:
  Recorder(TimedLoop& loop, LoopResult& result)
      : loop_(loop),
        result_(result),
        depth_(static_cast<int>(loop.startEvents_.size())),
        traceLaunches_(loop.trace_ == nullptr ? 0 : loop.config_.traceCapacity / loop.ctasPerLaunch_),
        origin_(depth_, 0) {
    const size_t expected = loop.config_.launches > 0 ? loop.config_.launches : 4096;
    result.enqueueNs.reserve(expected);
    result.latencyNs.reserve(expected);
    result.gpuNs.reserve(expected);
  }

  uint64_t issued() const { return issued_; }
  uint64_t inFlight() const { return issued_ - completed_; }
  bool full() const { return inFlight() >= static_cast<uint64_t>(depth_); }
  uint64_t tracedLaunches() const {
    const uint32_t every = loop_.config_.traceEvery;
    return std::min((issued_ + every - 1) / every, traceLaunches_);
  }

  // Enqueues the next launch (a slot must be free) and returns its enqueue time; its latency counts
  // from `arrivalNs`, or from the enqueue where that is 0.
  uint64_t issue(uint64_t arrivalNs = 0) {
    const int slot = static_cast<int>(issued_ % depth_);
    const uint32_t every = loop_.config_.traceEvery;
    const uint64_t traceSlot = issued_ / every;
    Interval* trace =
        issued_ % every == 0 && traceSlot < traceLaunches_ ? loop_.trace_ + traceSlot * loop_.ctasPerLaunch_ : nullptr;
    const uint64_t now = monotonicNs();
    origin_[slot] = arrivalNs != 0 ? arrivalNs : now;
    result_.enqueueNs.push_back(static_cast<double>(now - result_.startNs));
    GSM_CUDA(cudaEventRecord(loop_.startEvents_[slot], loop_.stream_));
    GSM_CUDA(loop_.workload_->launch(loop_.stream_, trace));
    GSM_CUDA(cudaEventRecord(loop_.stopEvents_[slot], loop_.stream_));
    ++issued_;
    return now;
  }

  // Waits for the oldest launch in flight and records it; returns when its completion was seen.
  uint64_t complete() {
    const int slot = oldest();
    GSM_CUDA(cudaEventSynchronize(loop_.stopEvents_[slot]));
    const uint64_t now = monotonicNs();
    record(slot, now);
    return now;
  }

  // Records the oldest launch in flight if it has completed; never waits.
  bool poll() {
    if (inFlight() == 0) return false;
    const int slot = oldest();
    const cudaError_t status = cudaEventQuery(loop_.stopEvents_[slot]);
    if (status == cudaErrorNotReady) return false;
    if (status != cudaSuccess) throwCuda(status, "cudaEventQuery(stopEvents_[slot])", __FILE__, __LINE__);
    record(slot, monotonicNs());
    return true;
  }

 private:
  int oldest() const { return static_cast<int>(completed_ % depth_); }

  void record(int slot, uint64_t seenNs) {
    float ms = 0;
    GSM_CUDA(cudaEventElapsedTime(&ms, loop_.startEvents_[slot], loop_.stopEvents_[slot]));
    result_.latencyNs.push_back(static_cast<double>(seenNs - origin_[slot]));
    result_.gpuNs.push_back(static_cast<double>(ms) * 1e6);
    ++completed_;
  }

  TimedLoop& loop_;
  LoopResult& result_;
  const int depth_;
  const uint64_t traceLaunches_;
  std::vector<uint64_t> origin_;  // per slot
  uint64_t issued_ = 0, completed_ = 0;
};

// Waits until `untilNs` or a stop, recording launches as they complete: with launches in flight it
// spins on their events so that each completion is seen when it happens; with none it sleeps while
// the time is far (at most 100 ms at a time, to notice a stop) and spins the last 1.5 ms.
void TimedLoop::waitRecording(Recorder& recorder, uint64_t untilNs) {
  for (;;) {
    while (recorder.poll()) {}
    const uint64_t now = monotonicNs();
    if (now >= untilNs || stop_.load(std::memory_order_relaxed)) return;
    const uint64_t left = untilNs - now;
    if (recorder.inFlight() == 0 && left > 2000000) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<uint64_t>(left - 1500000, 100000000)));
    }
  }
}

// Saturating (closed with depth 1): back to back, `depth` launches in flight, until the deadline or
// the count.
void TimedLoop::runBackToBack(Recorder& recorder, LoopResult& result) {
  const uint64_t deadline = result.startNs + config_.durationNs;
  for (;;) {
    if (stop_.load(std::memory_order_relaxed)) {
      result.stopped = true;
      break;
    }
    if (config_.launches > 0 ? recorder.issued() >= config_.launches : monotonicNs() >= deadline) break;
    recorder.issue();
    while (recorder.full()) recorder.complete();
  }
}

// Open loop: request i is due at start + arrivalsNs[i]. The loop waits for it (recording completions
// meanwhile), then, if `depth` requests are in flight, for the oldest to complete, and issues it; its
// latency counts from when it was due. It issues nothing at or after the deadline, nor past the end
// of the schedule (with `launches` the schedule has that many entries, all issued); with a duration it
// then idles until the deadline, so that the run spans the duration as the other loops' runs do.
// notStarted: requests due before the deadline (before the stop, when stopped) that were never issued.
void TimedLoop::runOpen(Recorder& recorder, LoopResult& result) {
  const std::vector<double>& arrivals = config_.arrivalsNs;
  const bool timed = config_.launches == 0;
  const uint64_t deadline = result.startNs + config_.durationNs;
  const size_t due = timed ? static_cast<size_t>(std::lower_bound(arrivals.begin(), arrivals.end(),
                                                                  static_cast<double>(config_.durationNs)) -
                                                 arrivals.begin())
                           : arrivals.size();
  result.scheduledRequests = due;
  result.scheduledNs.reserve(due);
  result.wakeLateNs.reserve(due);
  double cutoff = timed ? static_cast<double>(config_.durationNs) : HUGE_VAL;  // requests due before it count
  for (size_t i = 0; i < due; ++i) {
    const uint64_t arrival = result.startNs + static_cast<uint64_t>(arrivals[i]);
    waitRecording(recorder, arrival);
    if (stop_.load(std::memory_order_relaxed)) {
      result.stopped = true;
      cutoff = std::min(cutoff, static_cast<double>(monotonicNs() - result.startNs));
      break;
    }
    uint64_t freeAt = 0;  // when the slot this request takes became free, if it had to wait for one
    while (recorder.full()) freeAt = recorder.complete();
    if (timed && monotonicNs() >= deadline) break;
    const uint64_t enqueued = recorder.issue(arrival);
    result.scheduledNs.push_back(static_cast<double>(arrival - result.startNs));
    result.wakeLateNs.push_back(static_cast<double>(enqueued - std::max(arrival, freeAt)));
  }
  const auto left = arrivals.begin() + static_cast<std::ptrdiff_t>(recorder.issued());
  result.notStarted =
      static_cast<uint64_t>(std::lower_bound(left, arrivals.begin() + static_cast<std::ptrdiff_t>(due), cutoff) - left);
  if (timed && !result.stopped) {
    waitRecording(recorder, deadline);
    if (stop_.load(std::memory_order_relaxed) && monotonicNs() < deadline) result.stopped = true;
  }
}

// Bursty: back to back with `depth` in flight while ON, idle (recording completions) while OFF. At t
// after the start it is ON when (t + phase) mod (on + off) < on. With a duration it runs until the
// deadline, ON or OFF; with `launches` until that many were issued. wakeLateNs: per burst, its first
// enqueue after the window opened (or after a slot became free, if later).
void TimedLoop::runBursty(Recorder& recorder, LoopResult& result) {
  const BurstConfig& b = config_.bursts;
  const uint64_t period = b.onNs + b.offNs;
  const bool timed = config_.launches == 0;
  const uint64_t deadline = result.startNs + config_.durationNs;
  uint64_t lastWindow = UINT64_MAX;  // the window of the last launch issued
  uint64_t freeAt = 0;               // when the slot for the next launch became free, if it had to wait
  for (;;) {
    if (stop_.load(std::memory_order_relaxed)) {
      result.stopped = true;
      break;
    }
    const uint64_t now = monotonicNs();
    if (timed ? now >= deadline : recorder.issued() >= config_.launches) break;
    const uint64_t shifted = now - result.startNs + b.phaseNs;
    const uint64_t window = shifted / period;
    if (shifted % period >= b.onNs) {  // OFF: idle until the next window opens
      const uint64_t opens = result.startNs + (window + 1) * period - b.phaseNs;
      waitRecording(recorder, timed ? std::min(opens, deadline) : opens);
      continue;
    }
    const uint64_t enqueued = recorder.issue();
    if (window != lastWindow) {
      const uint64_t opened = result.startNs + std::max(window * period, b.phaseNs) - b.phaseNs;
      result.wakeLateNs.push_back(static_cast<double>(enqueued - std::max(opened, freeAt)));
      ++result.bursts;
      lastWindow = window;
    }
    freeAt = 0;
    while (recorder.full()) freeAt = recorder.complete();
  }
}

LoopResult TimedLoop::run(uint64_t startAtNs) {
  if (!prepared_) throw NativeFailure({"ERR_STATE", "run() before prepare()", "", ""});
  bindContext();
  LoopResult result;
  result.requestedStartNs = startAtNs;
  Recorder recorder(*this, result);

  waitUntil(startAtNs);
  result.startNs = monotonicNs();
  if (config_.open)
    runOpen(recorder, result);
  else if (config_.bursts.onNs > 0)
    runBursty(recorder, result);
  else
    runBackToBack(recorder, result);
  while (recorder.inFlight() > 0) recorder.complete();
  result.endNs = monotonicNs();
  GSM_CUDA(cudaStreamSynchronize(stream_));
  // cudaErrorNotReady (from polling an event) is an answer, not an error, wherever the runtime keeps it.
  const cudaError_t last = cudaGetLastError();
  if (last != cudaSuccess && last != cudaErrorNotReady) throwCuda(last, "cudaGetLastError()", __FILE__, __LINE__);

  result.tracedLaunches = recorder.tracedLaunches();
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
