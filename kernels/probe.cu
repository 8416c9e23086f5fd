// probe: each CTA (one thread) spins on %globaltimer until it has been running for `activeNs`,
// and records every step of the clock larger than `gapThresholdNs`. A CTA cannot see the clock move
// while it is not running, so each such step is a period in which this CTA was switched out — under
// time slicing, the other contexts' time slice plus the two switches around it.
// What each CTA holds while it is switched out can be chosen (ProbeLaunch): its threads, the shared
// memory it fills, and registers kept live through the loop (a compiled variant per register count),
// so the switch gap can be measured against the state a switch must save and restore.
#include "launch.h"
#include "trace.cuh"

namespace gsm {
namespace {

// Registers each variant keeps live through the spin loop (0: the plain probe), and the most threads
// a CTA of it may have, so that the compiler can give every thread its registers without spilling
// (65536 registers per SM on Hopper; a little headroom for the loop's own).
template <int kLive>
constexpr int probeMaxThreads() {
  return kLive == 0 ? 1024 : kLive <= 48 ? 1024 : kLive <= 112 ? 512 : 256;
}

// Writes the CTA's dynamic shared memory once, so that the state a switch saves is real data.
__device__ __forceinline__ void fillShared(uint32_t* smem, uint32_t words) {
  for (uint32_t i = threadIdx.x; i < words; i += blockDim.x) smem[i] = i * 2654435761u + blockIdx.x;
  __syncthreads();
}

template <int kLive>
__global__ void __launch_bounds__(probeMaxThreads<kLive>()) probeKernel(ProbeArgs args, Interval* trace) {
  extern __shared__ uint32_t smem[];
  fillShared(smem, args.sharedWords);
  // kLive values that depend on each other and on the clock, updated every iteration: the compiler
  // must keep them all in registers (their sum is stored below under a condition it cannot decide).
  uint32_t live[kLive > 0 ? kLive : 1];
#pragma unroll
  for (int i = 0; i < kLive; ++i) live[i] = threadIdx.x * 7919u + i;
  const bool recorder = threadIdx.x == 0;
  const uint64_t start = globalTimerNs();
  uint64_t last = start;
  uint64_t active = 0;
  while (active < args.activeNs) {
    const uint64_t now = globalTimerNs();
    const uint64_t step = now - last;
    if (step > args.gapThresholdNs) {
      if (recorder) {
        const unsigned slot = atomicAdd(args.gapCount, 1u);
        if (slot < args.gapCapacity) args.gaps[slot] = Interval{last, saturateNs(step), smId()};
      }
    } else {
      active += step;
    }
    last = now;
#pragma unroll
    for (int i = 0; i < kLive; ++i)
      live[i] = live[i] * 1664525u + live[(i + 1) % (kLive > 0 ? kLive : 1)] + static_cast<uint32_t>(now);
  }
  uint32_t sum = args.sharedWords > 0 ? smem[(threadIdx.x * 31u) % args.sharedWords] : 0u;
#pragma unroll
  for (int i = 0; i < kLive; ++i) sum += live[i];
  if (sum == 0xdeadbeefu && args.sink != nullptr) *args.sink = sum;
  if (recorder && trace != nullptr) trace[blockIdx.x] = Interval{start, saturateNs(last - start), smId()};
}

using ProbeFn = void (*)(ProbeArgs, Interval*);

// The variant for a requested register count: the smallest that holds at least that many.
ProbeFn probeVariant(int registers) {
  if (registers <= 0) return probeKernel<0>;
  if (registers <= 32) return probeKernel<24>;
  if (registers <= 64) return probeKernel<48>;
  if (registers <= 128) return probeKernel<112>;
  return probeKernel<232>;
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

cudaError_t probeKernelInfo(int registers, ProbeKernelInfo* info) {
  cudaFuncAttributes attributes{};
  const cudaError_t status = cudaFuncGetAttributes(&attributes, probeVariant(registers));
  if (status != cudaSuccess) return status;
  info->registersPerThread = attributes.numRegs;
  info->maxThreadsPerCta = attributes.maxThreadsPerBlock;
  info->localBytesPerThread = static_cast<int>(attributes.localSizeBytes);
  return cudaSuccess;
}

cudaError_t configureProbe(int registers, size_t sharedBytes) {
  return cudaFuncSetAttribute(probeVariant(registers), cudaFuncAttributeMaxDynamicSharedMemorySize,
                              static_cast<int>(sharedBytes));
}

cudaError_t launchProbe(const ProbeArgs& args, const ProbeLaunch& launch, Interval* trace, cudaStream_t stream) {
  probeVariant(launch.registers)<<<launch.ctas, launch.threads, launch.sharedBytes, stream>>>(args, trace);
  return cudaGetLastError();
}

}  // namespace gsm
