// The softmax step of attention computed without fusion (the cuBLAS path: S = Q K^T by a library
// GEMM, then this kernel, then O = P V by a library GEMM): one CTA per row of S, three passes over
// the row (maximum, sum of exponentials, normalised output), the row staying in L1/L2 between them.
// Keys after the row's query are masked when causal (P = 0 there).
#include <cuda_bf16.h>
#include "launch.h"

namespace gsm {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ float blockReduce(float v, bool isMax, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) {
    const float other = __shfl_xor_sync(0xffffffffu, v, offset);
    v = isMax ? fmaxf(v, other) : v + other;
  }
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < kThreads / 32 ? scratch[lane] : (isMax ? -INFINITY : 0.0f);
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
      const float other = __shfl_xor_sync(0xffffffffu, v, offset);
      v = isMax ? fmaxf(v, other) : v + other;
    }
    if (lane == 0) scratch[0] = v;
  }
  __syncthreads();
  const float result = scratch[0];
  __syncthreads();  // scratch is reused by the next reduction
  return result;
}

__global__ void __launch_bounds__(kThreads)
    maskedSoftmaxKernel(const float* __restrict__ s, __nv_bfloat16* __restrict__ p, int rows, int cols, bool causal) {
  __shared__ float scratch[kThreads / 32];
  const size_t rowIndex = blockIdx.x;
  const int row = static_cast<int>(rowIndex % rows);
  const float* in = s + rowIndex * cols;
  __nv_bfloat16* out = p + rowIndex * cols;
  const int valid = causal ? min(cols, row + 1) : cols;

  float mx = -INFINITY;
  for (int c = threadIdx.x; c < valid; c += kThreads) mx = fmaxf(mx, in[c]);
  mx = blockReduce(mx, true, scratch);
  float sum = 0.0f;
  for (int c = threadIdx.x; c < valid; c += kThreads) sum += __expf(in[c] - mx);
  sum = blockReduce(sum, false, scratch);
  const float inv = 1.0f / sum;
  for (int c = threadIdx.x; c < cols; c += kThreads) {
    out[c] = __float2bfloat16_rn(c < valid ? __expf(in[c] - mx) * inv : 0.0f);
  }
}

}  // namespace

cudaError_t launchMaskedSoftmaxBf16(const float* s, uint16_t* p, int matrices, int rows, int cols, bool causal,
                                    cudaStream_t stream) {
  const unsigned blocks = static_cast<unsigned>(static_cast<size_t>(matrices) * rows);
  maskedSoftmaxKernel<<<blocks, kThreads, 0, stream>>>(s, reinterpret_cast<__nv_bfloat16*>(p), rows, cols, causal);
  return cudaGetLastError();
}

}  // namespace gsm
