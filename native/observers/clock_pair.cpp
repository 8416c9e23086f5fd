#include "observers/clock_pair.h"

#include "kernels/launch.h"
#include "core/clock.h"
#include "libraries/cupti_api.h"
#include "core/errors.h"

namespace gsm {
namespace {

uint64_t cuptiNow() {
  cupti::Api& a = cupti::api();
  uint64_t t = 0;
  if (a.getTimestamp == nullptr || a.getTimestamp(&t) != CUPTI_SUCCESS) return 0;
  return t;
}

}  // namespace

void GlobalTimerReader::init(int device) {
  release();
  device_ = device;
  GSM_CUDA(cudaSetDevice(device));
  GSM_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  GSM_CUDA(cudaMalloc(&timer_, sizeof(uint64_t)));
}

ClockTriple GlobalTimerReader::read() {
  GSM_CUDA(cudaSetDevice(device_));
  ClockTriple best;
  best.uncertaintyNs = UINT64_MAX;
  for (int i = 0; i < 5; ++i) {
    const uint64_t before = monotonicNs();
    GSM_CUDA(readGlobalTimer(timer_, stream_));
    GSM_CUDA(cudaStreamSynchronize(stream_));
    const uint64_t cuptiMid = cuptiNow();
    const uint64_t after = monotonicNs();
    uint64_t gpu = 0;
    GSM_CUDA(cudaMemcpy(&gpu, timer_, sizeof gpu, cudaMemcpyDeviceToHost));
    const uint64_t half = (after - before) / 2;
    if (half < best.uncertaintyNs) best = ClockTriple{before + half, gpu, cuptiMid, half};
  }
  return best;
}

void GlobalTimerReader::release() {
  if (timer_ == nullptr && stream_ == nullptr) return;
  cudaSetDevice(device_);
  if (stream_ != nullptr) cudaStreamSynchronize(stream_);
  if (timer_ != nullptr) cudaFree(timer_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
  timer_ = nullptr;
  stream_ = nullptr;
}

ClockTriple readHostAndCupti() {
  ClockTriple best;
  best.uncertaintyNs = UINT64_MAX;
  for (int i = 0; i < 5; ++i) {
    const uint64_t before = monotonicNs();
    const uint64_t c = cuptiNow();
    const uint64_t after = monotonicNs();
    const uint64_t half = (after - before) / 2;
    if (half < best.uncertaintyNs) best = ClockTriple{before + half, 0, c, half};
  }
  return best;
}

}  // namespace gsm
