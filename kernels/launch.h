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

// ---- conv: forward convolution as an implicit GEMM, bf16 operands, fp32 accumulation, bf16 output ----
// x [n, h, w, c] (NHWC), w [k, r, s, c] (KRSC), y [n, p, q, k] with p = convOutputSize(h, r, stride, pad).
struct ConvArgs {
  int n, c, h, w, k, r, s, stride, pad;
  int p, q;
  const uint16_t* x;       // bf16 bit patterns
  const uint16_t* filter;  // w
  uint16_t* y;
  int variant = -1;        // tile shape (0..convVariantCount()-1); -1 chooses by shape
};
int convOutputSize(int input, int filter, int stride, int pad);
int convVariantCount();
int convCtaCount(const ConvArgs& args);
// Raises the kernel's shared-memory limit; call in the context that launches, before the first launch.
cudaError_t configureConv(const ConvArgs& args);
cudaError_t launchConvBf16(const ConvArgs& args, Interval* trace, cudaStream_t stream);

// ---- attention: fused softmax(Q K^T scale) V, bf16 [batch, heads, seq, headDim], fp32 accumulation ----
struct AttentionArgs {
  int batch, heads, seq, headDim;
  bool causal;
  float scale;        // softmax scale, 1/sqrt(headDim) by convention
  const uint16_t* q;  // bf16 bit patterns
  const uint16_t* k;
  const uint16_t* v;
  uint16_t* o;
  int variant = -1;   // tile shape (0..attentionVariantCount()-1, see attention.cu); -1 is the default
};
bool attentionSupportsHeadDim(int headDim);  // 64 and 128
int attentionVariantCount();
int attentionCtaCount(const AttentionArgs& args);
cudaError_t configureAttention(const AttentionArgs& args);
cudaError_t launchAttentionBf16(const AttentionArgs& args, Interval* trace, cudaStream_t stream);
// The softmax step of the unfused (library GEMM) attention: P[row, :] = softmax(S[row, :]) for
// rows of `cols` fp32 scores already scaled, keys after the row masked when causal; P is bf16.
// S and P hold `matrices` row-major [rows, cols] matrices back to back.
cudaError_t launchMaskedSoftmaxBf16(const float* s, uint16_t* p, int matrices, int rows, int cols, bool causal,
                                    cudaStream_t stream);

// ---- copy and triad: fp32 streams, 16-byte accesses, grid-stride over a fixed grid ----
struct CopyArgs {   // b = a
  const float* a;
  float* b;
  size_t count;
};
struct TriadArgs {  // a = b + scalar * c
  float* a;
  const float* b;
  const float* c;
  float scalar;
  size_t count;
};
int copyCtaCount(int smCount, size_t count);  // the grid copy and triad launch with
cudaError_t launchCopyF32(const CopyArgs& args, int ctas, Interval* trace, cudaStream_t stream);
cudaError_t launchTriadF32(const TriadArgs& args, int ctas, Interval* trace, cudaStream_t stream);
// Uniform fp32 values in [-1, 1) from the same hash as fillRandomBf16.
cudaError_t fillRandomF32(float* out, size_t count, uint64_t seed, cudaStream_t stream);

// ---- helpers ----
// Uniform values in [-1, 1) from a counter-based hash of (seed, index), rounded to bf16.
cudaError_t fillRandomBf16(uint16_t* out, size_t count, uint64_t seed, cudaStream_t stream);
cudaError_t fillFloat(float* out, size_t count, float value, cudaStream_t stream);
// Reads %globaltimer once on the device (for calibrating host and GPU clocks).
cudaError_t readGlobalTimer(uint64_t* deviceOut, cudaStream_t stream);

}  // namespace gsm
