// Device helpers shared by the nn kernels (kernels/nn_*.cu: the CNN, elementwise and optimiser kernels,
// and the transformer and decoding ones): bf16 <-> fp32 conversion of one, two and eight values (16
// bytes), 16-byte loads, stores and copies, warp and block sums and maxima (over a block of kThreads,
// or of any size for the transformer's row kernels), and the two launch geometries of the CNN,
// elementwise and optimiser kernels, both functions of the arguments only (nnCtas must know a
// launch's CTAs before it runs):
//   elementwise  a grid-stride loop over a fixed grid, elementwiseCtas(count, vec) CTAs of kThreads;
//   column       a reduction (or a per-channel transform) over the rows of [rows, channels]: CTAs in
//                a grid of row slices (x) by column blocks (y); a thread keeps `vec` channels for
//                every row of its slice it visits, so per-channel parameters and sums stay in
//                registers. Partial sums go to a workspace [quantity][slice][channels] that a
//                finish kernel adds up in a fixed order (deterministic, no atomics).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cuda_bf16.h>
#include "launch.h"
#include "trace.cuh"

namespace gsm {
namespace nn {

constexpr int kThreads = 256;
// A grid-stride kernel's CTAs at most: 8 CTAs of 256 threads on each of the H200's 132 SMs (its
// 2048-thread limit). Fixed rather than read from the device, so a launch's grid depends only on
// its arguments; on a smaller GPU the CTAs queue, which costs nothing for these memory-bound loops.
constexpr int kMaxCtas = 132 * 8;
// A column reduction's CTAs (row slices x column blocks) aimed at: 4 per SM of 256 threads, each
// thread with four 16-byte loads in flight (64 KB per SM in flight: enough to saturate HBM3e), and
// few enough slices that the finish kernel adds them up quickly.
constexpr int kColumnCtasPerSm = 4;
constexpr int kColumnCtas = 132 * kColumnCtasPerSm;
constexpr int kColumnUnroll = 4;

// ---- bf16 bit patterns <-> fp32 ----

__device__ __forceinline__ float bf16ToFloat(uint16_t bits) {
  return __uint_as_float(static_cast<uint32_t>(bits) << 16);
}
// Round to nearest, ties to even; a NaN gives a NaN.
__device__ __forceinline__ uint16_t floatToBf16(float value) {
  return __bfloat16_as_ushort(__float2bfloat16_rn(value));
}
// value rounded to bf16 as a float: what storing it and reading it back gives.
__device__ __forceinline__ float roundBf16(float value) { return bf16ToFloat(floatToBf16(value)); }
// Two bf16 in one 32-bit word, the lower address in the low half.
__device__ __forceinline__ float2 unpackBf16x2(uint32_t word) {
  return make_float2(__uint_as_float(word << 16), __uint_as_float(word & 0xffff0000u));
}
__device__ __forceinline__ uint32_t packBf16x2(float lo, float hi) {
  return static_cast<uint32_t>(floatToBf16(lo)) | (static_cast<uint32_t>(floatToBf16(hi)) << 16);
}
// Eight bf16 (16 bytes) <-> eight floats.
__device__ __forceinline__ void unpackBf16x8(uint4 v, float (&out)[8]) {
  const uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = unpackBf16x2(w[i]);
    out[2 * i] = f.x;
    out[2 * i + 1] = f.y;
  }
}
__device__ __forceinline__ uint4 packBf16x8(const float (&in)[8]) {
  return make_uint4(packBf16x2(in[0], in[1]), packBf16x2(in[2], in[3]), packBf16x2(in[4], in[5]),
                    packBf16x2(in[6], in[7]));
}

// V (1 or 8) consecutive bf16 at p (16-byte aligned when V is 8) to floats, and back.
template <int V>
__device__ __forceinline__ void loadBf16(const uint16_t* p, float (&out)[V]) {
  if constexpr (V == 8) {
    unpackBf16x8(*reinterpret_cast<const uint4*>(p), out);
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i) out[i] = bf16ToFloat(p[i]);
  }
}
template <int V>
__device__ __forceinline__ void storeBf16(uint16_t* p, const float (&in)[V]) {
  if constexpr (V == 8) {
    *reinterpret_cast<uint4*>(p) = packBf16x8(in);
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i) p[i] = floatToBf16(in[i]);
  }
}
// The raw bits of V bf16 (a 16-byte vector for 8), so that unrolled loops keep their loads in flight
// in as few registers as possible and unpack them only when used.
template <int V>
struct Bf16Bits {
  uint16_t bits[V];
};
template <>
struct Bf16Bits<8> {
  uint4 bits;
};
template <int V>
__device__ __forceinline__ Bf16Bits<V> loadBits(const uint16_t* p) {
  Bf16Bits<V> out;
  if constexpr (V == 8) {
    out.bits = *reinterpret_cast<const uint4*>(p);
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i) out.bits[i] = p[i];
  }
  return out;
}
template <int V>
__device__ __forceinline__ void storeBits(uint16_t* p, const Bf16Bits<V>& in) {
  if constexpr (V == 8) {
    *reinterpret_cast<uint4*>(p) = in.bits;
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i) p[i] = in.bits[i];
  }
}
// V bf16 from src to dst unchanged (one 16-byte access each when V is 8: both 16-byte aligned).
template <int V>
__device__ __forceinline__ void copyBf16(uint16_t* dst, const uint16_t* src) {
  storeBits<V>(dst, loadBits<V>(src));
}
template <int V>
__device__ __forceinline__ void unpackBits(const Bf16Bits<V>& in, float (&out)[V]) {
  if constexpr (V == 8) {
    unpackBf16x8(in.bits, out);
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i) out[i] = bf16ToFloat(in.bits[i]);
  }
}

// V consecutive floats at p (any alignment: per-channel parameters, read once per thread).
template <int V>
__device__ __forceinline__ void loadFloats(const float* p, float (&out)[V]) {
#pragma unroll
  for (int i = 0; i < V; ++i) out[i] = p[i];
}
// V consecutive floats at p, 16 bytes at a time when V is a multiple of 4 (p then 16-byte aligned).
template <int V>
__device__ __forceinline__ void loadAlignedFloats(const float* p, float (&out)[V]) {
  if constexpr (V % 4 == 0) {
#pragma unroll
    for (int i = 0; i < V / 4; ++i) {
      const float4 f = reinterpret_cast<const float4*>(p)[i];
      out[4 * i] = f.x;
      out[4 * i + 1] = f.y;
      out[4 * i + 2] = f.z;
      out[4 * i + 3] = f.w;
    }
  } else {
    loadFloats<V>(p, out);
  }
}

// ---- reductions ----

__device__ __forceinline__ float warpSum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}
__device__ __forceinline__ float warpMax(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}
// Sum (or maximum) over a 1-D block of kThreads threads; every thread gets the result. `scratch`
// holds kThreads / 32 floats; the block is synchronised before returning, so scratch can be reused.
// The order of additions is fixed: the same inputs give the same bits.
__device__ __forceinline__ float blockReduce(float v, bool isMax, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = isMax ? warpMax(v) : warpSum(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < kThreads / 32 ? scratch[lane] : (isMax ? -INFINITY : 0.0f);
    v = isMax ? warpMax(v) : warpSum(v);
    if (lane == 0) scratch[0] = v;
  }
  __syncthreads();
  const float result = scratch[0];
  __syncthreads();
  return result;
}
__device__ __forceinline__ float blockSum(float v, float* scratch) { return blockReduce(v, false, scratch); }
__device__ __forceinline__ float blockMax(float v, float* scratch) { return blockReduce(v, true, scratch); }

// The same over a 1-D block of any size (blockDim.x a multiple of 32, at most 1024: the transformer's
// row kernels launch as many threads as a row needs), for N values at once (one pair of barriers): every thread
// combines the warps' values itself, in warp order, so the same inputs give the same bits (not the
// bits of blockReduce, which combines them as a tree). `scratch` holds 32 N floats, value q's warps at
// scratch[32 q + warp]; the block is synchronised before returning. Every thread must call it.
template <int N>
__device__ __forceinline__ void blockReduceAnySize(float (&v)[N], bool isMax, float* scratch) {
  const int warps = blockDim.x / 32;
#pragma unroll
  for (int q = 0; q < N; ++q) v[q] = isMax ? warpMax(v[q]) : warpSum(v[q]);
  if (threadIdx.x % 32 == 0) {
#pragma unroll
    for (int q = 0; q < N; ++q) scratch[32 * q + threadIdx.x / 32] = v[q];
  }
  __syncthreads();
#pragma unroll
  for (int q = 0; q < N; ++q) v[q] = isMax ? -INFINITY : 0.0f;
  for (int w = 0; w < warps; ++w) {
#pragma unroll
    for (int q = 0; q < N; ++q) v[q] = isMax ? fmaxf(v[q], scratch[32 * q + w]) : v[q] + scratch[32 * q + w];
  }
  __syncthreads();  // scratch may be reused by the next call
}
__device__ __forceinline__ float blockSumAnySize(float v, float* scratch) {
  float r[1] = {v};
  blockReduceAnySize<1>(r, false, scratch);
  return r[0];
}
__device__ __forceinline__ float blockMaxAnySize(float v, float* scratch) {
  float r[1] = {v};
  blockReduceAnySize<1>(r, true, scratch);
  return r[0];
}
// Two sums at once; scratch holds 64 floats.
__device__ __forceinline__ float2 blockSum2AnySize(float a, float b, float* scratch) {
  float r[2] = {a, b};
  blockReduceAnySize<2>(r, false, scratch);
  return make_float2(r[0], r[1]);
}

// ---- launch geometry ----

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }
inline unsigned ceilDiv(size_t a, size_t b) { return static_cast<unsigned>((a + b - 1) / b); }
// The trace records of a launch that starts `offset` CTAs into an operation's records (none without a trace).
inline Interval* traceAt(Interval* trace, int offset) { return trace == nullptr ? nullptr : trace + offset; }

// CTAs of a grid-stride loop over `count` elements taken `vec` at a time by each thread.
inline int elementwiseCtas(size_t count, int vec) {
  const size_t per = static_cast<size_t>(kThreads) * static_cast<size_t>(vec);
  const size_t needed = (count + per - 1) / per;
  return static_cast<int>(needed == 0 ? 1 : (needed < static_cast<size_t>(kMaxCtas) ? needed : kMaxCtas));
}

// The column geometry of [rows, channels]: blocks of kThreads = tx * ty threads, tx threads along
// the channels (vec channels each: 8 when every row is whole 16-byte vectors, else 1) and ty rows at a
// time; gridDim = (slices, colBlocks), slice i covering rows [i rowsPerSlice, (i + 1) rowsPerSlice).
struct ColumnGrid {
  int vec = 1;
  int tx = 1, ty = kThreads;
  int colBlocks = 1;
  int slices = 1;
  int rowsPerSlice = 1;
  int ctas() const { return colBlocks * slices; }
  dim3 grid() const { return dim3(static_cast<unsigned>(slices), static_cast<unsigned>(colBlocks)); }
};

inline ColumnGrid columnGrid(int rows, int channels, bool vectorized) {
  ColumnGrid g;
  g.vec = vectorized ? 8 : 1;
  const int vectors = channels > 0 ? (channels + g.vec - 1) / g.vec : 1;
  g.tx = 1;
  while (g.tx < vectors && g.tx < 32) g.tx *= 2;  // a warp reads up to 32 x 16 bytes of a row
  g.ty = kThreads / g.tx;
  g.colBlocks = (vectors + g.tx - 1) / g.tx;
  const int target = kColumnCtas / g.colBlocks > 1 ? kColumnCtas / g.colBlocks : 1;
  const long long minRows = static_cast<long long>(g.ty) * kColumnUnroll;  // one unrolled pass per thread at least
  long long per = (static_cast<long long>(rows) + target - 1) / target;
  if (per < minRows) per = minRows;
  per = (per + g.ty - 1) / g.ty * g.ty;  // whole passes: every thread of a slice visits as many rows
  g.rowsPerSlice = static_cast<int>(per);
  g.slices = rows > 0 ? static_cast<int>((rows + per - 1) / per) : 1;
  return g;
}

// CTAs of the finish kernel that adds up a column reduction's partials: 32 channels per CTA.
constexpr int kFinishChannels = 32;
inline int finishCtas(int channels) { return channels > 0 ? (channels + kFinishChannels - 1) / kFinishChannels : 1; }
inline dim3 finishBlock() { return dim3(kFinishChannels, 32); }

// In a finish kernel (block kFinishChannels x 32): the sum over `slices` of partials[s * channels + c],
// c = blockIdx.x * kFinishChannels + threadIdx.x, in double and in a fixed order; valid in the threads
// with threadIdx.y == 0 (0 where c >= channels). `scratch` holds 32 x kFinishChannels doubles.
__device__ __forceinline__ double sumPartials(const float* partials, int slices, int channels, double* scratch) {
  const int c = blockIdx.x * kFinishChannels + threadIdx.x;
  double acc = 0;
  if (c < channels) {
#pragma unroll 4
    for (int s = threadIdx.y; s < slices; s += 32) acc += partials[static_cast<size_t>(s) * channels + c];
  }
  scratch[threadIdx.y * kFinishChannels + threadIdx.x] = acc;
  __syncthreads();
  double total = 0;
  if (threadIdx.y == 0) {
    for (int y = 0; y < 32; ++y) total += scratch[y * kFinishChannels + threadIdx.x];
  }
  __syncthreads();
  return total;
}

// The grid-stride loop of an elementwise kernel over `count` elements: vectorOp(e) for e = 0, V, 2V, ...
// (V elements from e, all in range) while `vectorized`, then scalarOp(e) for the rest (the tail, or
// everything when not vectorized). Work is split the same way for any grid.
template <int V, class VectorOp, class ScalarOp>
__device__ __forceinline__ void gridStride(size_t count, bool vectorized, VectorOp vectorOp, ScalarOp scalarOp) {
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  const size_t first = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const size_t vectors = vectorized ? count / V : 0;
  for (size_t i = first; i < vectors; i += stride) vectorOp(i * V);
  for (size_t e = vectors * V + first; e < count; e += stride) scalarOp(e);
}

// A thread's place in a column launch (block kThreads, grid ColumnGrid::grid()): its first channel c0
// (vec channels from there, all valid when active), and the rows it visits: row, row + step, ... < rowEnd.
struct ColumnThread {
  int c0;
  bool active;
  int row, rowEnd, step;
};
__device__ __forceinline__ ColumnThread columnThread(int rows, int channels, int vec, int tx, int rowsPerSlice) {
  ColumnThread t;
  const int x = threadIdx.x % tx;
  t.step = kThreads / tx;
  t.c0 = (blockIdx.y * tx + x) * vec;
  t.active = t.c0 < channels;
  const long long begin = static_cast<long long>(blockIdx.x) * rowsPerSlice;
  const long long end = begin + rowsPerSlice;
  t.row = static_cast<int>(begin) + static_cast<int>(threadIdx.x / tx);
  t.rowEnd = static_cast<int>(end < rows ? end : rows);
  return t;
}

// Adds the Q x V sums of every thread of a column CTA over its rows (threads with the same channels)
// and writes them to partials[(q slices + blockIdx.x) channels + c], in a fixed order. `scratch`
// holds Q * kThreads * V floats. Every thread of the block calls it.
template <int Q, int V>
__device__ __forceinline__ void storeColumnPartials(const float (&acc)[Q][V], float* scratch, float* partials,
                                                    int channels, int tx) {
  const int width = tx * V;  // channels of this CTA (<= kThreads)
#pragma unroll
  for (int q = 0; q < Q; ++q) {
#pragma unroll
    for (int j = 0; j < V; ++j) scratch[(q * kThreads + threadIdx.x) * V + j] = acc[q][j];
  }
  __syncthreads();
  // threadIdx.x = y tx + x, so scratch[q][y][x][j] sits at (q kThreads) V + y width + (x V + j).
  const int rowsPerPass = kThreads / tx;
  const int c = blockIdx.y * width + threadIdx.x;
  if (threadIdx.x < width && c < channels) {
#pragma unroll
    for (int q = 0; q < Q; ++q) {
      float sum = 0;
      for (int y = 0; y < rowsPerPass; ++y) sum += scratch[q * kThreads * V + y * width + threadIdx.x];
      partials[(static_cast<size_t>(q) * gridDim.x + blockIdx.x) * channels + c] = sum;
    }
  }
}

}  // namespace nn
}  // namespace gsm
