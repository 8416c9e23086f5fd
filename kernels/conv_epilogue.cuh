// The last step of every convolution kernel (kernels/conv.cu's tiles and split K's adding kernel,
// kernels/conv_wgmma.cu's tiles): ConvArgs::epilogue (launch.h) applied to the fp32 sums a thread
// holds, then each pair of adjacent channels rounded to bf16 and stored. Device code only; shared by
// the conv files.
//
// applyEpilogue goes over all of a thread's sums before any store, and its loads (the norm's
// coefficients, the residual) are unconditional, from clamped addresses, so that the compiler can
// issue them together: a load after a store through another pointer has to wait for the store (they
// may alias), and a load under a branch of its own is issued, and waited for, alone. An epilogue that
// did either ran one L2 round trip after another (measured on the H200 in cudnn_conv_check bench: the
// 1x1 convolution of layer1 at batch 32 from 64 us to 203 us, the 53 convolutions at batch 1 from
// 0.60 ms to 0.79 ms).
#pragma once

#include <cuda_bf16.h>
#include "launch.h"

namespace gsm {
namespace conv {

__device__ __forceinline__ float bf16BitsToFloat(unsigned short bits) {
  return __uint_as_float(static_cast<unsigned int>(bits) << 16);
}

// The norm's coefficients of channel c (as the batch-norm inference kernel: sum -> (sum - mean) scale +
// shift, scale = gamma / sqrt(var + eps), shift = beta). Loads, unconditional.
__device__ __forceinline__ void normCoefficients(const ConvEpilogue& e, int c, float& mean, float& scale,
                                                 float& shift) {
  mean = __ldg(e.mean + c);
  scale = __ldg(e.gamma + c) * (1.0f / sqrtf(__ldg(e.var + c) + e.eps));
  shift = __ldg(e.beta + c);
}

// Applies `e` in place to the sums of kCols x kRows pairs of output elements: pair (j, r) holds
// acc(j, r, 0) and acc(j, r, 1), the sums of y[rowOf(r)][colOf(j)] and y[rowOf(r)][colOf(j) + 1].
// Rows >= m and columns >= k may be among them: they are computed from clamped addresses (and never
// stored). acc returns float&; colOf and rowOf take the index.
template <int kCols, int kRows, class ColOf, class RowOf, class Acc>
__device__ __forceinline__ void applyEpilogue(const ConvEpilogue& e, int m, int k, ColOf colOf, RowOf rowOf, Acc acc) {
  if (e.gamma != nullptr) {
#pragma unroll
    for (int j = 0; j < kCols; ++j) {
      const int c[2] = {min(colOf(j), k - 1), min(colOf(j) + 1, k - 1)};
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        float mean, scale, shift;
        normCoefficients(e, c[h], mean, scale, shift);
#pragma unroll
        for (int r = 0; r < kRows; ++r) acc(j, r, h) = fmaf(acc(j, r, h) - mean, scale, shift);
      }
    }
  }
  if (e.residual != nullptr) {
    const auto* residual = reinterpret_cast<const unsigned short*>(e.residual);
#pragma unroll
    for (int j = 0; j < kCols; ++j) {
      const int c[2] = {min(colOf(j), k - 1), min(colOf(j) + 1, k - 1)};
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        const size_t row = static_cast<size_t>(min(rowOf(r), m - 1)) * k;
#pragma unroll
        for (int h = 0; h < 2; ++h) acc(j, r, h) += bf16BitsToFloat(__ldg(residual + row + c[h]));
      }
    }
  }
  if (e.relu) {
#pragma unroll
    for (int j = 0; j < kCols; ++j)
#pragma unroll
      for (int r = 0; r < kRows; ++r)
#pragma unroll
        for (int h = 0; h < 2; ++h) acc(j, r, h) = fmaxf(acc(j, r, h), 0.0f);
  }
}

// The epilogue of one pair for a kernel that holds one pair and loads its operands before its sums
// (split K's adding kernel: the loads then travel with the partials' instead of after them).
struct PairOperands {
  float mean0 = 0.0f, mean1 = 0.0f, scale0 = 1.0f, scale1 = 1.0f, shift0 = 0.0f, shift1 = 0.0f;
  float residual0 = 0.0f, residual1 = 0.0f;
};

// The operands of y[row][col] and y[row][col + 1] (clamped to m rows and k columns).
__device__ __forceinline__ PairOperands loadPairOperands(const ConvEpilogue& e, int row, int col, int m, int k) {
  PairOperands o;
  const int c0 = min(col, k - 1), c1 = min(col + 1, k - 1);
  if (e.gamma != nullptr) {
    normCoefficients(e, c0, o.mean0, o.scale0, o.shift0);
    normCoefficients(e, c1, o.mean1, o.scale1, o.shift1);
  }
  if (e.residual != nullptr) {
    const auto* residual =
        reinterpret_cast<const unsigned short*>(e.residual) + static_cast<size_t>(min(row, m - 1)) * k;
    o.residual0 = bf16BitsToFloat(__ldg(residual + c0));
    o.residual1 = bf16BitsToFloat(__ldg(residual + c1));
  }
  return o;
}

// The sums of a pair through the norm, the residual add and the ReLU (as applyEpilogue).
__device__ __forceinline__ float2 applyPairOperands(const ConvEpilogue& e, const PairOperands& o, float v0, float v1) {
  if (e.gamma != nullptr) {
    v0 = fmaf(v0 - o.mean0, o.scale0, o.shift0);
    v1 = fmaf(v1 - o.mean1, o.scale1, o.shift1);
  }
  v0 += o.residual0;
  v1 += o.residual1;
  if (e.relu) {
    v0 = fmaxf(v0, 0.0f);
    v1 = fmaxf(v1, 0.0f);
  }
  return make_float2(v0, v1);
}

// Stores v0, v1 rounded to bf16 at y + at (those of columns col, col + 1 that are < k; one 4-byte
// store when both are and k is even). `at` = row * k + col.
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
