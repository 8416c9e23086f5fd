// The decoding kernels of kernels/nn.h: rotary embeddings, the KV-cache append, attention of one new
// token against the cache (flash-decoding), the SwiGLU gate and the greedy next token.
//
// DecodeAttention is memory-bound: every step reads each sequence's whole K and V cache once. The
// cache of each (sequence, head) is split into chunks of `chunk` positions, one CTA per (chunk,
// head, sequence): a CTA reads its K rows 16 bytes per lane (d / 8 lanes per row, 8 loads in flight
// per lane), keeps the scores in shared memory, and writes the chunk's maximum score, the sum of
// exp(score - max) and the unnormalised partial output (fp32) to the workspace; a combine kernel
// rescales the chunks to their common maximum and writes o. The chunk is 256 positions, halved
// (down to 64) while the grid would have fewer than kDecodeMinCtas CTAs, so a batch-1 step still
// spreads over the GPU; the grid depends only on the arguments.
#include "nn.h"
#include "nn_common.cuh"
#include "trace.cuh"

namespace gsm {
namespace {

using namespace nn;

// ------------------------------------------------------------ rope ----

// One thread per rotated pair (i, i + d/2) of one head of q or k.
__global__ void __launch_bounds__(kThreads) ropeKernel(RopeArgs a, Interval* trace) {
  CtaTrace cta(trace);
  const int half = a.headDim / 2;
  const int perTensor = a.batch * a.heads * half;
  const int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < 2 * perTensor) {
    const int which = idx / perTensor;
    const int rest = idx % perTensor;
    const int i = rest % half;
    const int bh = rest / half;
    const int b = bh / a.heads;
    uint16_t* x = (which == 0 ? a.q : a.k) + static_cast<size_t>(bh) * a.headDim;
    const float invFreq = powf(a.base, -2.0f * static_cast<float>(i) / static_cast<float>(a.headDim));
    float s, c;
    sincosf(static_cast<float>(a.pos[b]) * invFreq, &s, &c);
    const float x1 = bf16ToFloat(x[i]), x2 = bf16ToFloat(x[i + half]);
    x[i] = floatToBf16(x1 * c - x2 * s);
    x[i + half] = floatToBf16(x2 * c + x1 * s);
  }
  cta.end();
}

// ------------------------------------------------------------ kv append ----

template <int W>
__global__ void __launch_bounds__(kThreads) kvAppendKernel(KvAppendArgs a, Interval* trace) {
  CtaTrace cta(trace);
  const int unitsPerHead = a.headDim / W;
  const int perTensor = a.batch * a.heads * unitsPerHead;
  const int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < 2 * perTensor) {
    const int which = idx / perTensor;
    const int rest = idx % perTensor;
    const int e = (rest % unitsPerHead) * W;
    const int bh = rest / unitsPerHead;
    const int p = a.pos[bh / a.heads];
    if (p >= 0 && p < a.capacity) {
      const uint16_t* src = (which == 0 ? a.k : a.v) + static_cast<size_t>(bh) * a.headDim + e;
      uint16_t* dst = (which == 0 ? a.kCache : a.vCache) + (static_cast<size_t>(bh) * a.capacity + p) * a.headDim + e;
      copyBf16<W>(dst, src);
    }
  }
  cta.end();
}
int kvAppendWidth(const KvAppendArgs& a) {
  return a.headDim % 8 == 0 && aligned16(a.k) && aligned16(a.v) && aligned16(a.kCache) && aligned16(a.vCache) ? 8 : 1;
}

// ------------------------------------------------------------ decode attention ----

constexpr int kDecodeThreads = 128;  // 4 warps, each a quarter of the chunk's positions
constexpr int kDecodeMaxChunk = 256;
constexpr int kDecodeMinCtas = 512;  // about 4 CTAs per SM of an H200 (132 SMs)
constexpr int kDecodeBatchLoads = 8;

struct DecodeSplit {
  int chunk, chunks;
};
DecodeSplit decodeSplit(const DecodeAttentionArgs& a) {
  const int length = a.maxLength < 1 ? 1 : a.maxLength;
  int chunk = kDecodeMaxChunk;
  while (chunk > 64 && static_cast<long long>(a.batch) * a.heads * ceilDiv(length, chunk) < kDecodeMinCtas) chunk /= 2;
  return DecodeSplit{chunk, static_cast<int>(ceilDiv(length, chunk))};
}

// Per (chunk, head, sequence): m = max score, l = sum exp(score - m), o = sum exp(score - m) v.
// Workspace: o [b heads][chunks][D], then (m, l) [b heads][chunks][2].
template <int D>
__global__ void __launch_bounds__(kDecodeThreads) decodeChunkKernel(DecodeAttentionArgs a, int chunk, Interval* trace) {
  constexpr int kLanesPerRow = D / 8;
  constexpr int kRowsPerStep = 32 / kLanesPerRow;
  CtaTrace cta(trace);
  __shared__ float scores[kDecodeMaxChunk];
  __shared__ float partial[kDecodeThreads / 32][D];
  __shared__ float scratch[32];
  const int chunks = gridDim.x;
  const int b = blockIdx.z, bh = blockIdx.z * a.heads + blockIdx.y;
  int length = a.pos[b] + 1;
  length = min(length, min(a.maxLength, a.capacity));
  const int start = blockIdx.x * chunk;
  const int count = max(0, min(chunk, length - start));
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int sub = lane % kLanesPerRow, rowInStep = lane / kLanesPerRow;
  const int rowsPerWarp = chunk / (kDecodeThreads / 32);
  const int steps = rowsPerWarp / kRowsPerStep;
  const int firstRow = warp * rowsPerWarp + rowInStep;
  const size_t cacheBase = (static_cast<size_t>(bh) * a.capacity + start) * D + sub * 8;

  float q[8];
  loadBf16<8>(a.q + static_cast<size_t>(bh) * D + sub * 8, q);
#pragma unroll
  for (int i = 0; i < 8; ++i) q[i] *= a.scale;

  // Scores: 8 rows' loads in flight per lane (unconditional: rows past the chunk's end load its last
  // row again, so the loads issue back to back), then their dot products.
  for (int s0 = 0; count > 0 && s0 < steps; s0 += kDecodeBatchLoads) {
    uint4 raw[kDecodeBatchLoads];
#pragma unroll
    for (int u = 0; u < kDecodeBatchLoads; ++u) {
      const int row = firstRow + (s0 + u) * kRowsPerStep;
      raw[u] = *reinterpret_cast<const uint4*>(a.kCache + cacheBase + static_cast<size_t>(min(row, count - 1)) * D);
    }
#pragma unroll
    for (int u = 0; u < kDecodeBatchLoads; ++u) {
      float k[8];
      unpackBf16x8(raw[u], k);
      float dot = 0.0f;
#pragma unroll
      for (int i = 0; i < 8; ++i) dot += q[i] * k[i];
#pragma unroll
      for (int o = kLanesPerRow / 2; o > 0; o /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, o);
      const int row = firstRow + (s0 + u) * kRowsPerStep;
      if (sub == 0 && s0 + u < steps && row < count) scores[row] = dot;
    }
  }
  __syncthreads();

  float localMax = -INFINITY;
  for (int j = threadIdx.x; j < count; j += blockDim.x) localMax = fmaxf(localMax, scores[j]);
  const float m = blockMaxAnySize(localMax, scratch);
  float localSum = 0.0f;
  for (int j = threadIdx.x; j < count; j += blockDim.x) {
    const float p = expf(scores[j] - m);
    scores[j] = p;
    localSum += p;
  }
  const float l = blockSumAnySize(localSum, scratch);  // its barriers publish the probabilities too

  // o = sum p v over the warp's rows: lane (rowInStep, sub) accumulates dims [sub 8, sub 8 + 8).
  float acc[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) acc[i] = 0.0f;
  for (int s0 = 0; count > 0 && s0 < steps; s0 += kDecodeBatchLoads) {
    uint4 raw[kDecodeBatchLoads];
#pragma unroll
    for (int u = 0; u < kDecodeBatchLoads; ++u) {
      const int row = firstRow + (s0 + u) * kRowsPerStep;
      raw[u] = *reinterpret_cast<const uint4*>(a.vCache + cacheBase + static_cast<size_t>(min(row, count - 1)) * D);
    }
#pragma unroll
    for (int u = 0; u < kDecodeBatchLoads; ++u) {
      const int row = firstRow + (s0 + u) * kRowsPerStep;
      const float p = s0 + u < steps && row < count ? scores[row] : 0.0f;
      float v[8];
      unpackBf16x8(raw[u], v);
#pragma unroll
      for (int i = 0; i < 8; ++i) acc[i] += p * v[i];
    }
  }
#pragma unroll
  for (int i = 0; i < 8; ++i) {
#pragma unroll
    for (int o = kLanesPerRow; o < 32; o *= 2) acc[i] += __shfl_xor_sync(0xffffffffu, acc[i], o);
  }
  if (rowInStep == 0) {
#pragma unroll
    for (int i = 0; i < 8; ++i) partial[warp][sub * 8 + i] = acc[i];
  }
  __syncthreads();
  const size_t slot = static_cast<size_t>(bh) * chunks + blockIdx.x;
  for (int e = threadIdx.x; e < D; e += blockDim.x) {
    float o = 0.0f;
#pragma unroll
    for (int w = 0; w < kDecodeThreads / 32; ++w) o += partial[w][e];
    a.workspace[slot * D + e] = o;
  }
  if (threadIdx.x == 0) {
    float* ml = a.workspace + static_cast<size_t>(a.batch) * a.heads * chunks * D + slot * 2;
    ml[0] = m;
    ml[1] = l;
  }
  cta.end();
}

// o[b, h] = sum_c exp(m_c - M) o_c / sum_c exp(m_c - M) l_c over the chunks that hold positions.
__global__ void __launch_bounds__(kDecodeThreads)
    decodeCombineKernel(DecodeAttentionArgs a, int chunks, Interval* trace) {
  CtaTrace cta(trace);
  const int bh = blockIdx.x;
  const int d = a.headDim;
  const float* ml =
      a.workspace + static_cast<size_t>(a.batch) * a.heads * chunks * d + static_cast<size_t>(bh) * chunks * 2;
  const float* o = a.workspace + static_cast<size_t>(bh) * chunks * d;
  float big = -INFINITY;
  for (int c = 0; c < chunks; ++c) {
    if (ml[2 * c + 1] > 0.0f) big = fmaxf(big, ml[2 * c]);
  }
  float denominator = 0.0f;
  for (int c = 0; c < chunks; ++c) {
    if (ml[2 * c + 1] > 0.0f) denominator += expf(ml[2 * c] - big) * ml[2 * c + 1];
  }
  for (int e = threadIdx.x; e < d; e += blockDim.x) {
    float numerator = 0.0f;
    for (int c = 0; c < chunks; ++c) {
      if (ml[2 * c + 1] > 0.0f) numerator += expf(ml[2 * c] - big) * o[static_cast<size_t>(c) * d + e];
    }
    a.o[static_cast<size_t>(bh) * d + e] = floatToBf16(denominator > 0.0f ? numerator / denominator : 0.0f);
  }
  cta.end();
}

// ------------------------------------------------------------ silu mul ----

template <int W>
__global__ void __launch_bounds__(kThreads) siluMulKernel(SiluMulArgs a, Interval* trace) {
  CtaTrace cta(trace);
  const size_t units = static_cast<size_t>(a.rows) * a.f / W;
  const size_t unit = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (unit < units) {
    const size_t row = unit / (a.f / W);
    const size_t j = (unit % (a.f / W)) * W;
    float g[W], up[W];
    loadBf16<W>(a.gateUp + row * 2 * a.f + j, g);
    loadBf16<W>(a.gateUp + row * 2 * a.f + a.f + j, up);
#pragma unroll
    for (int i = 0; i < W; ++i) g[i] = g[i] / (1.0f + expf(-g[i])) * up[i];
    storeBf16<W>(a.y + row * a.f + j, g);
  }
  cta.end();
}
int siluWidth(const SiluMulArgs& a) { return a.f % 8 == 0 && aligned16(a.gateUp) && aligned16(a.y) ? 8 : 1; }

// ------------------------------------------------------------ argmax ----

constexpr int kArgmaxThreads = 512;

// The better of two candidates: the larger value, the smaller index on a tie (NaN never wins).
__device__ __forceinline__ void keepBetter(float& value, int& index, float v, int i) {
  if (v > value || (v == value && i < index)) {
    value = v;
    index = i;
  }
}

template <int W>
__global__ void __launch_bounds__(kArgmaxThreads) argmaxNextKernel(ArgmaxNextArgs a, Interval* trace) {
  CtaTrace cta(trace);
  __shared__ float values[32];
  __shared__ int indices[32];
  const float* logits = a.logits + static_cast<size_t>(blockIdx.x) * a.cols;
  float best = -INFINITY;
  int at = 0x7fffffff;
  for (int unit = threadIdx.x; unit < a.cols / W; unit += blockDim.x) {
    float v[W];
    loadAlignedFloats<W>(logits + static_cast<size_t>(unit) * W, v);
#pragma unroll
    for (int i = 0; i < W; ++i) keepBetter(best, at, v[i], unit * W + i);
  }
#pragma unroll
  for (int o = 16; o > 0; o /= 2) {
    const float v = __shfl_xor_sync(0xffffffffu, best, o);
    const int i = __shfl_xor_sync(0xffffffffu, at, o);
    keepBetter(best, at, v, i);
  }
  if (threadIdx.x % 32 == 0) {
    values[threadIdx.x / 32] = best;
    indices[threadIdx.x / 32] = at;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < static_cast<int>(blockDim.x / 32); ++w) keepBetter(best, at, values[w], indices[w]);
    a.ids[blockIdx.x] = at < a.cols ? at : 0;  // a row of NaN: token 0
    const int next = a.pos[blockIdx.x] + 1;
    a.pos[blockIdx.x] = next >= a.capacity ? a.restart : next;
  }
  cta.end();
}

}  // namespace

// ------------------------------------------------------------ launches ----

int nnCtas(const RopeArgs& a) {
  return static_cast<int>(ceilDiv(static_cast<size_t>(a.batch) * a.heads * a.headDim, kThreads));
}
cudaError_t launchRope(const RopeArgs& a, Interval* trace, cudaStream_t stream) {
  if (a.headDim % 2 != 0) return cudaErrorInvalidValue;
  const int ctas = nnCtas(a);
  if (ctas == 0) return cudaSuccess;
  ropeKernel<<<ctas, kThreads, 0, stream>>>(a, trace);
  return cudaGetLastError();
}

int nnCtas(const KvAppendArgs& a) {
  return static_cast<int>(ceilDiv(2 * static_cast<size_t>(a.batch) * a.heads * a.headDim / kvAppendWidth(a), kThreads));
}
cudaError_t launchKvAppend(const KvAppendArgs& a, Interval* trace, cudaStream_t stream) {
  const int ctas = nnCtas(a);
  if (ctas == 0) return cudaSuccess;
  if (kvAppendWidth(a) == 8) {
    kvAppendKernel<8><<<ctas, kThreads, 0, stream>>>(a, trace);
  } else {
    kvAppendKernel<1><<<ctas, kThreads, 0, stream>>>(a, trace);
  }
  return cudaGetLastError();
}

int nnCtas(const DecodeAttentionArgs& a) {
  const int pairs = a.batch * a.heads;
  return pairs * decodeSplit(a).chunks + pairs;
}
size_t nnWorkspaceBytes(const DecodeAttentionArgs& a) {
  return static_cast<size_t>(a.batch) * a.heads * decodeSplit(a).chunks * (a.headDim + 2) * sizeof(float);
}
cudaError_t launchDecodeAttention(const DecodeAttentionArgs& a, Interval* trace, cudaStream_t stream) {
  if (a.headDim != 64 && a.headDim != 128 && a.headDim != 256) return cudaErrorInvalidValue;
  if (!aligned16(a.q) || !aligned16(a.kCache) || !aligned16(a.vCache)) return cudaErrorInvalidValue;
  if (a.batch * a.heads == 0) return cudaSuccess;
  const DecodeSplit split = decodeSplit(a);
  const dim3 grid(split.chunks, a.heads, a.batch);
  switch (a.headDim) {
    case 64: decodeChunkKernel<64><<<grid, kDecodeThreads, 0, stream>>>(a, split.chunk, trace); break;
    case 128: decodeChunkKernel<128><<<grid, kDecodeThreads, 0, stream>>>(a, split.chunk, trace); break;
    default: decodeChunkKernel<256><<<grid, kDecodeThreads, 0, stream>>>(a, split.chunk, trace); break;
  }
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return e;
  decodeCombineKernel<<<a.batch * a.heads, kDecodeThreads, 0, stream>>>(
      a, split.chunks, traceAt(trace, a.batch * a.heads * split.chunks));
  return cudaGetLastError();
}

int nnCtas(const SiluMulArgs& a) {
  return static_cast<int>(ceilDiv(static_cast<size_t>(a.rows) * a.f / siluWidth(a), kThreads));
}
cudaError_t launchSiluMul(const SiluMulArgs& a, Interval* trace, cudaStream_t stream) {
  const int ctas = nnCtas(a);
  if (ctas == 0) return cudaSuccess;
  if (siluWidth(a) == 8) {
    siluMulKernel<8><<<ctas, kThreads, 0, stream>>>(a, trace);
  } else {
    siluMulKernel<1><<<ctas, kThreads, 0, stream>>>(a, trace);
  }
  return cudaGetLastError();
}

int nnCtas(const ArgmaxNextArgs& a) { return a.rows; }
cudaError_t launchArgmaxNext(const ArgmaxNextArgs& a, Interval* trace, cudaStream_t stream) {
  if (a.rows == 0) return cudaSuccess;
  if (a.cols % 4 == 0 && aligned16(a.logits)) {
    argmaxNextKernel<4><<<a.rows, kArgmaxThreads, 0, stream>>>(a, trace);
  } else {
    argmaxNextKernel<1><<<a.rows, kArgmaxThreads, 0, stream>>>(a, trace);
  }
  return cudaGetLastError();
}

}  // namespace gsm
