// Split K's adding step, shared by the conv and gemm adding kernels (kernels/conv.cu,
// kernels/gemm_wgmma.cu): the sum over the slices of two adjacent fp32 partials. Device code only.
#pragma once

#include <cuda_runtime.h>

namespace gsm {

// sum over s in [0, splits) of p[s * stride] and, when `two`, of p[s * stride + 1], added in slice
// order (the same result every launch). The partials were written by other CTAs of the previous
// kernel on this stream, so they are read around L1 (ld.global.cg). The loads are issued 8 slices at a
// time before their adds: one at a time, each add waited for its load from L2 in turn. `vector`: the
// pair is 8-byte aligned and both are wanted (one float2 load per slice).
__device__ __forceinline__ float2 sumSlicePair(const float* p, size_t stride, int splits, bool two, bool vector) {
  constexpr int kBatch = 8;
  float v0 = 0.0f, v1 = 0.0f;
  for (int s0 = 0; s0 < splits; s0 += kBatch) {
    float2 v[kBatch];
#pragma unroll
    for (int j = 0; j < kBatch; ++j) {
      if (s0 + j < splits) {
        const float* at = p + static_cast<size_t>(s0 + j) * stride;
        if (vector) {
          v[j] = __ldcg(reinterpret_cast<const float2*>(at));
        } else {
          v[j].x = __ldcg(at);
          v[j].y = two ? __ldcg(at + 1) : 0.0f;
        }
      }
    }
#pragma unroll
    for (int j = 0; j < kBatch; ++j) {
      if (s0 + j < splits) {
        v0 += v[j].x;
        v1 += v[j].y;
      }
    }
  }
  return make_float2(v0, v1);
}

}  // namespace gsm
