// The last step of every convolution kernel (kernels/conv.cu's tiles and split K's adding kernel,
// kernels/conv_wgmma.cu's tiles): ConvArgs::epilogue (launch.h) applied to two adjacent output
// channels' fp32 sums, rounded to bf16 and stored. Device code only; shared by the conv files.
#pragma once

#include <cuda_bf16.h>
#include "launch.h"

namespace gsm {
namespace conv {

// The norm's coefficients of output channels col and col + 1 (those < k), read once per column pair
// and used for every row a thread stores: sum -> (sum - mean) scale + shift. Identity without a norm.
struct ChannelPair {
  float mean[2] = {0.0f, 0.0f};
  float scale[2] = {1.0f, 1.0f};
  float shift[2] = {0.0f, 0.0f};
};

__device__ __forceinline__ ChannelPair channelPair(const ConvEpilogue& e, int col, int k) {
  ChannelPair p;
  if (e.gamma == nullptr) return p;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int c = col + i;
    if (c < k) {
      p.mean[i] = e.mean[c];
      p.scale[i] = e.gamma[c] * (1.0f / sqrtf(e.var[c] + e.eps));  // as the batch-norm inference kernel
      p.shift[i] = e.beta[c];
    }
  }
  return p;
}

// Stores y[row][col] and y[row][col + 1] (those < k; one 4-byte store when both are and k is even)
// from the sums v0, v1 through the epilogue. `at` = row * k + col.
__device__ __forceinline__ void storePair(const ConvEpilogue& e, const ChannelPair& p, __nv_bfloat16* y, size_t at,
                                          int col, int k, float v0, float v1) {
  const bool both = col + 1 < k;
  if (e.gamma != nullptr) {
    v0 = fmaf(v0 - p.mean[0], p.scale[0], p.shift[0]);
    v1 = fmaf(v1 - p.mean[1], p.scale[1], p.shift[1]);
  }
  if (e.residual != nullptr) {
    const auto* r = reinterpret_cast<const __nv_bfloat16*>(e.residual) + at;
    if (col < k) v0 += __bfloat162float(r[0]);
    if (both) v1 += __bfloat162float(r[1]);
  }
  if (e.relu) {
    v0 = fmaxf(v0, 0.0f);
    v1 = fmaxf(v1, 0.0f);
  }
  if (both && (k % 2) == 0) {
    *reinterpret_cast<__nv_bfloat162*>(y + at) = __floats2bfloat162_rn(v0, v1);
  } else {
    if (col < k) y[at] = __float2bfloat16_rn(v0);
    if (both) y[at + 1] = __float2bfloat16_rn(v1);
  }
}

}  // namespace conv
}  // namespace gsm
