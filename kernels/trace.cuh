// Device-side instrumentation shared by every kernel: the GPU-wide %globaltimer clock (nanoseconds,
// common to all contexts and processes on the device) and the SM a thread runs on.
#pragma once

#include <cstdint>
#include "launch.h"

namespace gsm {

__device__ __forceinline__ uint64_t globalTimerNs() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

__device__ __forceinline__ uint32_t smId() {
  uint32_t s;
  asm volatile("mov.u32 %0, %%smid;" : "=r"(s));
  return s;
}

__device__ __forceinline__ uint32_t saturateNs(uint64_t ns) {
  return ns > 0xffffffffull ? 0xffffffffu : static_cast<uint32_t>(ns);
}

// Records one work item of a persistent kernel (a CTA that loops over tiles records each tile, not
// its own lifetime): take `startNs` from globalTimerNs() when the item begins, then call this from
// one thread after the item's last store. `item` indexes the launch's records.
__device__ __forceinline__ void recordWorkItem(Interval* trace, unsigned item, uint64_t startNs) {
  const uint64_t stop = globalTimerNs();
  trace[item] = Interval{startNs, saturateNs(stop - startNs), smId()};
}

// Records one CTA's lifetime. Construct at kernel entry (all threads), call end() after the CTA's
// last store (all threads: it synchronises the block). With a null trace it costs one branch.
class CtaTrace {
 public:
  __device__ __forceinline__ explicit CtaTrace(Interval* trace) : trace_(trace), start_(0) {
    if (trace_ != nullptr && threadIdx.x == 0 && threadIdx.y == 0 && threadIdx.z == 0) { start_ = globalTimerNs(); }
  }
  __device__ __forceinline__ void end() {
    if (trace_ == nullptr) return;
    __syncthreads();
    if (threadIdx.x == 0 && threadIdx.y == 0 && threadIdx.z == 0) {
      const uint64_t stop = globalTimerNs();
      const unsigned cta = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
      trace_[cta] = Interval{start_, saturateNs(stop - start_), smId()};
    }
  }

 private:
  Interval* trace_;
  uint64_t start_;
};

}  // namespace gsm
