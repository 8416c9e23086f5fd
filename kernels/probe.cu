// probe: each CTA (one thread) spins on %globaltimer until it has been running for `activeNs`,
// and records every step of the clock larger than `gapThresholdNs`. A CTA cannot see the clock move
// while it is not running, so each such step is a period in which this CTA was switched out — under
// time slicing, the other contexts' time slice plus the two switches around it.
#include "launch.h"
#include "trace.cuh"

namespace gsm {
namespace {

__global__ void probeKernel(ProbeArgs args, Interval* trace) {
  const uint64_t start = globalTimerNs();
  uint64_t last = start;
  uint64_t active = 0;
  while (active < args.activeNs) {
    const uint64_t now = globalTimerNs();
    const uint64_t step = now - last;
    if (step > args.gapThresholdNs) {
      const unsigned slot = atomicAdd(args.gapCount, 1u);
      if (slot < args.gapCapacity) args.gaps[slot] = Interval{last, saturateNs(step), smId()};
    } else {
      active += step;
    }
    last = now;
  }
  if (trace != nullptr) trace[blockIdx.x] = Interval{start, saturateNs(last - start), smId()};
}

}  // namespace

size_t probeSharedBytes(int device) {
  int perSm = 0, perBlockOptin = 0;
  if (cudaDeviceGetAttribute(&perSm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&perBlockOptin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device) != cudaSuccess) {
    return 0;
  }
  const size_t half = static_cast<size_t>(perSm) / 2 + 1024;
  return half <= static_cast<size_t>(perBlockOptin) ? half : 0;
}

cudaError_t configureProbe(size_t sharedBytes) {
  return cudaFuncSetAttribute(probeKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(sharedBytes));
}

cudaError_t launchProbe(const ProbeArgs& args, int ctas, size_t sharedBytes, Interval* trace, cudaStream_t stream) {
  probeKernel<<<ctas, 1, sharedBytes, stream>>>(args, trace);
  return cudaGetLastError();
}

}  // namespace gsm
