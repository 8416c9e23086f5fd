// The C++ launch API of the project's CUDA kernels. Host code (native/) includes only this header;
// the kernels themselves live in one .cu file per family. Every function returns the launch's
// cudaError_t (cudaGetLastError after the launch) and never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cuda_runtime_api.h>

namespace gsm {

// One interval on the GPU's %globaltimer clock, on one SM. Used for a CTA's lifetime (start to end)
// and for a probe's observed gap (last reading before it, length of the gap). 16 bytes, no padding.
struct Interval {
  uint64_t startNs;
  uint32_t durationNs;  // saturates at UINT32_MAX (about 4.3 s)
  uint32_t smid;
};
static_assert(sizeof(Interval) == 16, "Interval is read from JavaScript as 16-byte records");

// ---- probe: CTAs that spin and record every gap in %globaltimer above a threshold ----
struct ProbeArgs {
  uint64_t activeNs;         // each CTA spins until it has run this long, gaps excluded
  uint32_t gapThresholdNs;   // a step of %globaltimer above this is a gap (the CTA was not running)
  uint32_t gapCapacity;      // records that fit in `gaps`
  Interval* gaps;            // one record per gap, from every CTA
  unsigned int* gapCount;    // incremented for every gap, also past capacity (so overflow is visible)
};
// Dynamic shared memory that keeps a second probe CTA off an SM, so one CTA lands on each SM.
size_t probeSharedBytes(int device);
cudaError_t configureProbe(size_t sharedBytes);
cudaError_t launchProbe(const ProbeArgs& args, int ctas, size_t sharedBytes, Interval* trace,
                        cudaStream_t stream);

// ---- gemm: C[m,n] (fp32, row-major) = A[m,k] (bf16, row-major) * B[k,n] (bf16, row-major) ----
struct GemmArgs {
  int m, n, k;
  const uint16_t* a;  // bf16 bit patterns
  const uint16_t* b;
  float* c;
};
int gemmCtaCount(int m, int n);
cudaError_t launchGemmBf16(const GemmArgs& args, Interval* trace, cudaStream_t stream);

// ---- helpers ----
// Uniform values in [-1, 1) from a counter-based hash of (seed, index), rounded to bf16.
cudaError_t fillRandomBf16(uint16_t* out, size_t count, uint64_t seed, cudaStream_t stream);
cudaError_t fillFloat(float* out, size_t count, float value, cudaStream_t stream);
// Reads %globaltimer once on the device (for calibrating host and GPU clocks).
cudaError_t readGlobalTimer(uint64_t* deviceOut, cudaStream_t stream);

}  // namespace gsm
