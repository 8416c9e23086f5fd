// The last step of every convolution kernel (kernels/conv.cu's tiles and split K's adding kernel,
// kernels/conv_wgmma.cu's tiles): ConvArgs::epilogue (launch.h) applied to two adjacent output
// channels' fp32 sums, then rounded to bf16 and stored. Device code only; shared by the conv files.
//
// Two steps, and a kernel runs the first for every value it holds before it stores any: the first
// only loads (the norm's coefficients, the residual), so the compiler may issue all of its loads at
// once; a load after a store through another pointer would have to wait for that store (the
// pointers may alias), and an epilogue that alternated them ran one L2 round trip after another
// (measured on the H200: ResNet-50's convolutions at batch 1 took 10.0 us each against 6.1 us without
// the norm, and 193 us for a 1x1 convolution with a residual at batch 32).
#pragma once

#include <cuda_bf16.h>
#include "launch.h"

namespace gsm {
namespace conv {

// The norm's coefficients of output channels col and col + 1 (those < k), read once per column pair
// and used for every row a thread holds: sum -> (sum - mean) scale + shift. Identity without a norm.
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
      p.mean[i] = __ldg(e.mean + c);
      p.scale[i] = __ldg(e.gamma + c) * (1.0f / sqrtf(__ldg(e.var + c) + e.eps));  // as the batch-norm kernel
      p.shift[i] = __ldg(e.beta + c);
    }
  }
  return p;
}

// Step 1: the sums v0, v1 of y[row][col], y[row][col + 1] (`at` = row * k + col) through the norm, the
// residual add and the ReLU, in place. Loads only.
__device__ __forceinline__ void applyPair(const ConvEpilogue& e, const ChannelPair& p, size_t at, int col, int k,
                                          float& v0, float& v1) {
  if (e.gamma != nullptr) {
    v0 = fmaf(v0 - p.mean[0], p.scale[0], p.shift[0]);
    v1 = fmaf(v1 - p.mean[1], p.scale[1], p.shift[1]);
  }
  if (e.residual != nullptr) {
    const auto* r = reinterpret_cast<const unsigned short*>(e.residual) + at;
    if (col + 1 < k && (k % 2) == 0) {
      const unsigned int bits = __ldg(reinterpret_cast<const unsigned int*>(r));  // at is even: 4-byte aligned
      v0 += __uint_as_float(bits << 16);
      v1 += __uint_as_float(bits & 0xffff0000u);
    } else {
      if (col < k) v0 += __uint_as_float(static_cast<unsigned int>(__ldg(r)) << 16);
      if (col + 1 < k) v1 += __uint_as_float(static_cast<unsigned int>(__ldg(r + 1)) << 16);
    }
  }
  if (e.relu) {
    v0 = fmaxf(v0, 0.0f);
    v1 = fmaxf(v1, 0.0f);
  }
}

// Step 2: stores v0, v1 rounded to bf16 at y + at (those < k; one 4-byte store when both are and k is even).
__device__ __forceinline__ void storePair(__nv_bfloat16* y, size_t at, int col, int k, float v0, float v1) {
  if (col + 1 < k && (k % 2) == 0) {
    *reinterpret_cast<__nv_bfloat162*>(y + at) = __floats2bfloat162_rn(v0, v1);
  } else {
    if (col < k) y[at] = __float2bfloat16_rn(v0);
    if (col + 1 < k) y[at + 1] = __float2bfloat16_rn(v1);
  }
}

}  // namespace conv
}  // namespace gsm
