// Device helpers of the transformer and decoding kernels (kernels/nn_transformer.cu, nn_decode.cu):
// bf16 conversions, 16-byte vector loads and stores of bf16 and fp32, warp and block reductions.
// Written alongside kernels/nn_common.cuh (the CNN kernels' helpers); the two may be merged later.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include "launch.h"

namespace gsm {
namespace nntf {

__device__ __forceinline__ float bf16ToFloat(uint16_t bits) {
  return __uint_as_float(static_cast<uint32_t>(bits) << 16);
}
__device__ __forceinline__ uint16_t floatToBf16(float x) { return __bfloat16_as_ushort(__float2bfloat16_rn(x)); }
__device__ __forceinline__ float roundBf16(float x) { return bf16ToFloat(floatToBf16(x)); }

// W consecutive bf16 values at p (W = 8: one 16-byte access, p 16-byte aligned; W = 1: one element).
template <int W>
__device__ __forceinline__ void loadBf16(const uint16_t* p, float (&out)[W]) {
  if constexpr (W == 8) {
    const uint4 raw = *reinterpret_cast<const uint4*>(p);
    const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      out[2 * i] = __uint_as_float(words[i] << 16);
      out[2 * i + 1] = __uint_as_float(words[i] & 0xffff0000u);
    }
  } else {
#pragma unroll
    for (int i = 0; i < W; ++i) out[i] = bf16ToFloat(p[i]);
  }
}

template <int W>
__device__ __forceinline__ void storeBf16(uint16_t* p, const float (&in)[W]) {
  if constexpr (W == 8) {
    uint32_t words[4];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      words[i] =
          static_cast<uint32_t>(floatToBf16(in[2 * i])) | (static_cast<uint32_t>(floatToBf16(in[2 * i + 1])) << 16);
    }
    *reinterpret_cast<uint4*>(p) = make_uint4(words[0], words[1], words[2], words[3]);
  } else {
#pragma unroll
    for (int i = 0; i < W; ++i) p[i] = floatToBf16(in[i]);
  }
}

// W consecutive fp32 values (W = 8: two 16-byte accesses, p 16-byte aligned).
template <int W>
__device__ __forceinline__ void loadFloat(const float* p, float (&out)[W]) {
  if constexpr (W % 4 == 0) {
#pragma unroll
    for (int i = 0; i < W / 4; ++i) {
      const float4 f = reinterpret_cast<const float4*>(p)[i];
      out[4 * i] = f.x;
      out[4 * i + 1] = f.y;
      out[4 * i + 2] = f.z;
      out[4 * i + 3] = f.w;
    }
  } else {
#pragma unroll
    for (int i = 0; i < W; ++i) out[i] = p[i];
  }
}

// Raw copy of W bf16 values (16 bytes when W = 8).
template <int W>
__device__ __forceinline__ void copyBf16(uint16_t* dst, const uint16_t* src) {
  if constexpr (W == 8) {
    *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(src);
  } else {
#pragma unroll
    for (int i = 0; i < W; ++i) dst[i] = src[i];
  }
}

__device__ __forceinline__ float warpSum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warpMax(float v) {
#pragma unroll
  for (int o = 16; o > 0; o /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024), the same value in every thread, in
// a fixed order (deterministic). `scratch` holds 32 floats; every thread must call it.
__device__ __forceinline__ float blockSum(float v, float* scratch) {
  v = warpSum(v);
  const int warps = blockDim.x / 32;
  if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < warps; ++w) total += scratch[w];
  __syncthreads();  // scratch may be reused by the next call
  return total;
}

__device__ __forceinline__ float blockMax(float v, float* scratch) {
  v = warpMax(v);
  const int warps = blockDim.x / 32;
  if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
  __syncthreads();
  float best = -INFINITY;
  for (int w = 0; w < warps; ++w) best = fmaxf(best, scratch[w]);
  __syncthreads();
  return best;
}

// Two sums over the block at once (one pair of barriers): see blockSum.
__device__ __forceinline__ float2 blockSum2(float a, float b, float* scratch /* 64 floats */) {
  a = warpSum(a);
  b = warpSum(b);
  const int warps = blockDim.x / 32;
  if (threadIdx.x % 32 == 0) {
    scratch[threadIdx.x / 32] = a;
    scratch[32 + threadIdx.x / 32] = b;
  }
  __syncthreads();
  float2 total = make_float2(0.0f, 0.0f);
  for (int w = 0; w < warps; ++w) {
    total.x += scratch[w];
    total.y += scratch[32 + w];
  }
  __syncthreads();
  return total;
}

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }
inline unsigned ceilDiv(size_t a, size_t b) { return static_cast<unsigned>((a + b - 1) / b); }
inline Interval* traceAt(Interval* trace, int offset) { return trace == nullptr ? nullptr : trace + offset; }

}  // namespace nntf
}  // namespace gsm
