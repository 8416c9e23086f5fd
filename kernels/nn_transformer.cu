// The transformer kernels of kernels/nn.h: layer norm (forward with the residual add fused, backward
// with deterministic dgamma/dbeta), RMS norm, BERT embeddings (forward, backward), the QKV split
// into heads and the merge back (with their gradients), the attention softmax backward, and row
// gathers. All are memory-bound: bf16 rows are read and written 16 bytes at a time where the row
// length and the pointers allow (cols % 8 == 0, 16-byte aligned), one element at a time otherwise.
//
// Row kernels (layer norm, RMS norm) run one CTA per row and keep the row in registers: each thread
// owns U units of W elements (W = 8: 16 bytes; W = 1: the unaligned fallback), so a row is read
// once. Column sums across rows (dgamma, dbeta, dbias) never use atomics: each CTA writes the
// partial sums of its rows to the workspace and a finish kernel adds them in a fixed order, so the
// result is the same on every run.
#include <type_traits>
#include "nn.h"
#include "nn_common.cuh"
#include "trace.cuh"

namespace gsm {
namespace {

using namespace nn;

// ------------------------------------------------------------ row plans ----

// How a row of `cols` is spread over one CTA of at most 256 threads: W elements per unit, U units per
// thread (at most maxU): rows up to 256 W maxU elements (layer norm: 16384, its backward 8192; 2048
// and 1024 on the one-element path).
struct RowPlan {
  int w = 1, u = 1, threads = 32;
  bool ok = false;
};

RowPlan planRow(int cols, bool vectorOk, int maxU) {
  RowPlan p;
  p.w = vectorOk && cols % 8 == 0 ? 8 : 1;
  const int units = cols / p.w;
  for (int u = 1; u <= maxU; u *= 2) {
    const int threads = (static_cast<int>(ceilDiv(units, u)) + 31) / 32 * 32;
    if (threads <= kThreads) {
      p.u = u;
      p.threads = threads < 32 ? 32 : threads;
      p.ok = cols > 0;
      return p;
    }
  }
  return p;
}

// Calls f(integral_constant W, integral_constant U) for the plan's template arguments (U <= MaxU).
template <int W, int MaxU, class F>
cudaError_t dispatchUnits(int u, F& f) {
  using std::integral_constant;
  if (u == 1) return f(integral_constant<int, W>{}, integral_constant<int, 1>{});
  if (u == 2) return f(integral_constant<int, W>{}, integral_constant<int, 2>{});
  if constexpr (MaxU >= 4) {
    if (u == 4) return f(integral_constant<int, W>{}, integral_constant<int, 4>{});
  }
  if constexpr (MaxU >= 8) {
    if (u == 8) return f(integral_constant<int, W>{}, integral_constant<int, 8>{});
  }
  return cudaErrorInvalidValue;
}
template <int MaxU, class F>
cudaError_t dispatchRow(const RowPlan& p, F&& f) {
  if (!p.ok || p.u > MaxU) return cudaErrorInvalidValue;
  return p.w == 8 ? dispatchUnits<8, MaxU>(p.u, f) : dispatchUnits<1, MaxU>(p.u, f);
}

// Sums partial[chunk][col] over the chunks in order: out0[col] for col < n0, out1[col - n0] after.
// Block (32, 16): 32 columns, 16 strided slices of the chunks, added in a fixed order.
__global__ void __launch_bounds__(512)
    columnSumFinishKernel(const float* partial, int chunks, int n, float* out0, int n0, float* out1, Interval* trace) {
  CtaTrace cta(trace);
  __shared__ float slices[16][33];
  const int col = blockIdx.x * 32 + threadIdx.x;
  float s = 0.0f;
  if (col < n) {
    for (int c = threadIdx.y; c < chunks; c += 16) s += partial[static_cast<size_t>(c) * n + col];
  }
  slices[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && col < n) {
    float total = 0.0f;
    for (int y = 0; y < 16; ++y) total += slices[y][threadIdx.x];
    if (col < n0) {
      out0[col] = total;
    } else {
      out1[col - n0] = total;
    }
  }
  cta.end();
}
int columnSumFinishCtas(int n) { return static_cast<int>(ceilDiv(n, 32)); }
cudaError_t launchFinish(const float* partial, int chunks, int n, float* out0, int n0, float* out1, Interval* trace,
                         cudaStream_t stream) {
  columnSumFinishKernel<<<columnSumFinishCtas(n), dim3(32, 16), 0, stream>>>(partial, chunks, n, out0, n0, out1, trace);
  return cudaGetLastError();
}

// ------------------------------------------------------------ layer norm ----

// s = x (+ residual, rounded to bf16 as the stored sum is), y = gamma (s - mean) rstd + beta.
template <int W, int U>
__global__ void __launch_bounds__(kThreads) layerNormForwardKernel(LayerNormForwardArgs a, Interval* trace) {
  CtaTrace cta(trace);
  __shared__ float scratch[32];
  const int units = a.cols / W;
  const size_t base = static_cast<size_t>(blockIdx.x) * a.cols;
  float v[U][W];
  float local = 0.0f;
#pragma unroll
  for (int u = 0; u < U; ++u) {
    const int unit = threadIdx.x + u * blockDim.x;
#pragma unroll
    for (int i = 0; i < W; ++i) v[u][i] = 0.0f;
    if (unit < units) {
      const size_t at = base + static_cast<size_t>(unit) * W;
      loadBf16<W>(a.x + at, v[u]);
      if (a.residual != nullptr) {
        float r[W];
        loadBf16<W>(a.residual + at, r);
#pragma unroll
        for (int i = 0; i < W; ++i) v[u][i] = roundBf16(v[u][i] + r[i]);
        if (a.sum != nullptr) storeBf16<W>(a.sum + at, v[u]);
      }
#pragma unroll
      for (int i = 0; i < W; ++i) local += v[u][i];
    }
  }
  const float mean = blockSumAnySize(local, scratch) / a.cols;
  float squares = 0.0f;
#pragma unroll
  for (int u = 0; u < U; ++u) {
    if (threadIdx.x + u * blockDim.x < units) {
#pragma unroll
      for (int i = 0; i < W; ++i) squares += (v[u][i] - mean) * (v[u][i] - mean);
    }
  }
  const float rstd = rsqrtf(blockSumAnySize(squares, scratch) / a.cols + a.eps);
#pragma unroll
  for (int u = 0; u < U; ++u) {
    const int unit = threadIdx.x + u * blockDim.x;
    if (unit < units) {
      float g[W], b[W], y[W];
      loadAlignedFloats<W>(a.gamma + static_cast<size_t>(unit) * W, g);
      loadAlignedFloats<W>(a.beta + static_cast<size_t>(unit) * W, b);
#pragma unroll
      for (int i = 0; i < W; ++i) y[i] = (v[u][i] - mean) * rstd * g[i] + b[i];
      storeBf16<W>(a.y + base + static_cast<size_t>(unit) * W, y);
    }
  }
  if (threadIdx.x == 0) {
    if (a.saveMean != nullptr) a.saveMean[blockIdx.x] = mean;
    if (a.saveRstd != nullptr) a.saveRstd[blockIdx.x] = rstd;
  }
  cta.end();
}

RowPlan planLayerNorm(const LayerNormForwardArgs& a) {
  const bool vec = aligned16(a.x) && aligned16(a.residual) && aligned16(a.y) && aligned16(a.sum) &&
                   aligned16(a.gamma) && aligned16(a.beta);
  return planRow(a.cols, vec, 8);
}

// Rows per CTA of the layer-norm backward: partial column sums of at most 1024 CTAs.
int layerNormBackwardRowsPerCta(int rows) { return rows > 8 * 1024 ? static_cast<int>(ceilDiv(rows, 1024)) : 8; }
int layerNormBackwardRowCtas(int rows) { return static_cast<int>(ceilDiv(rows, layerNormBackwardRowsPerCta(rows))); }

// ds for `rowsPerCta` rows, and the CTA's partial sums of dy shat (dgamma) and dy (dbeta) per column
// into workspace[cta][2 cols].
template <int W, int U>
__global__ void __launch_bounds__(kThreads)
    layerNormBackwardKernel(LayerNormBackwardArgs a, int rowsPerCta, Interval* trace) {
  CtaTrace cta(trace);
  __shared__ float scratch[64];
  const int units = a.cols / W;
  float dgamma[U][W], dbeta[U][W];
#pragma unroll
  for (int u = 0; u < U; ++u) {
#pragma unroll
    for (int i = 0; i < W; ++i) dgamma[u][i] = dbeta[u][i] = 0.0f;
  }
  const int first = blockIdx.x * rowsPerCta;
  const int last = min(a.rows, first + rowsPerCta);
  // dy and s of the next row are loaded while this row is reduced (two rows in flight).
  float dyNext[U][W], sNext[U][W];
  const auto loadRow = [&](int row) {
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int unit = threadIdx.x + u * blockDim.x;
      if (row < last && unit < units) {
        const size_t at = static_cast<size_t>(row) * a.cols + static_cast<size_t>(unit) * W;
        loadBf16<W>(a.dy + at, dyNext[u]);
        loadBf16<W>(a.s + at, sNext[u]);
      }
    }
  };
  loadRow(first);
  for (int row = first; row < last; ++row) {
    const size_t base = static_cast<size_t>(row) * a.cols;
    const float mean = a.saveMean[row], rstd = a.saveRstd[row];
    float g[U][W], shat[U][W];  // gamma dy and the normalised input
#pragma unroll
    for (int u = 0; u < U; ++u) {
#pragma unroll
      for (int i = 0; i < W; ++i) g[u][i] = dyNext[u][i], shat[u][i] = sNext[u][i];
    }
    loadRow(row + 1);
    float sumG = 0.0f, sumGS = 0.0f;
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int unit = threadIdx.x + u * blockDim.x;
      if (unit < units) {
        float gamma[W];
        loadAlignedFloats<W>(a.gamma + static_cast<size_t>(unit) * W, gamma);
#pragma unroll
        for (int i = 0; i < W; ++i) {
          shat[u][i] = (shat[u][i] - mean) * rstd;
          dgamma[u][i] += g[u][i] * shat[u][i];
          dbeta[u][i] += g[u][i];
          g[u][i] *= gamma[i];
          sumG += g[u][i];
          sumGS += g[u][i] * shat[u][i];
        }
      }
    }
    const float2 sums = blockSum2AnySize(sumG, sumGS, scratch);
    const float meanG = sums.x / a.cols, meanGS = sums.y / a.cols;
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int unit = threadIdx.x + u * blockDim.x;
      if (unit < units) {
        float ds[W];
#pragma unroll
        for (int i = 0; i < W; ++i) ds[i] = rstd * (g[u][i] - meanG - shat[u][i] * meanGS);
        storeBf16<W>(a.ds + base + static_cast<size_t>(unit) * W, ds);
      }
    }
  }
  float* partial = a.workspace + static_cast<size_t>(blockIdx.x) * 2 * a.cols;
#pragma unroll
  for (int u = 0; u < U; ++u) {
    const int unit = threadIdx.x + u * blockDim.x;
    if (unit < units) {
#pragma unroll
      for (int i = 0; i < W; ++i) {
        partial[unit * W + i] = dgamma[u][i];
        partial[a.cols + unit * W + i] = dbeta[u][i];
      }
    }
  }
  cta.end();
}

constexpr int kLayerNormBackwardMaxU = 4;  // registers: dy, s, dgamma and dbeta of U units
RowPlan planLayerNormBackward(const LayerNormBackwardArgs& a) {
  const bool vec = aligned16(a.dy) && aligned16(a.s) && aligned16(a.ds) && aligned16(a.gamma);
  return planRow(a.cols, vec, kLayerNormBackwardMaxU);
}

// ------------------------------------------------------------ RMS norm ----

template <int W, int U>
__global__ void __launch_bounds__(kThreads) rmsNormKernel(RmsNormArgs a, Interval* trace) {
  CtaTrace cta(trace);
  __shared__ float scratch[32];
  const int units = a.cols / W;
  const size_t base = static_cast<size_t>(blockIdx.x) * a.cols;
  float v[U][W];
  float squares = 0.0f;
#pragma unroll
  for (int u = 0; u < U; ++u) {
    const int unit = threadIdx.x + u * blockDim.x;
#pragma unroll
    for (int i = 0; i < W; ++i) v[u][i] = 0.0f;
    if (unit < units) {
      const size_t at = base + static_cast<size_t>(unit) * W;
      loadBf16<W>(a.x + at, v[u]);
      if (a.residual != nullptr) {
        float r[W];
        loadBf16<W>(a.residual + at, r);
#pragma unroll
        for (int i = 0; i < W; ++i) v[u][i] = roundBf16(v[u][i] + r[i]);
        if (a.sum != nullptr) storeBf16<W>(a.sum + at, v[u]);
      }
#pragma unroll
      for (int i = 0; i < W; ++i) squares += v[u][i] * v[u][i];
    }
  }
  const float inv = rsqrtf(blockSumAnySize(squares, scratch) / a.cols + a.eps);
#pragma unroll
  for (int u = 0; u < U; ++u) {
    const int unit = threadIdx.x + u * blockDim.x;
    if (unit < units) {
      float w[W], y[W];
      loadAlignedFloats<W>(a.weight + static_cast<size_t>(unit) * W, w);
#pragma unroll
      for (int i = 0; i < W; ++i) y[i] = w[i] * (v[u][i] * inv);
      storeBf16<W>(a.y + base + static_cast<size_t>(unit) * W, y);
    }
  }
  cta.end();
}

RowPlan planRmsNorm(const RmsNormArgs& a) {
  const bool vec = aligned16(a.x) && aligned16(a.residual) && aligned16(a.y) && aligned16(a.sum) && aligned16(a.weight);
  return planRow(a.cols, vec, 8);
}

// ------------------------------------------------------------ embeddings ----

__global__ void __launch_bounds__(kThreads) embeddingForwardKernel(EmbeddingForwardArgs a, Interval* trace) {
  CtaTrace cta(trace);
  const int token = blockIdx.x;
  const int position = token % a.seq;
  const float* word = a.word + static_cast<size_t>(a.ids[token]) * a.hidden;
  const float* pos = a.position + static_cast<size_t>(position) * a.hidden;
  uint16_t* y = a.y + static_cast<size_t>(token) * a.hidden;
  for (int c = threadIdx.x; c < a.hidden; c += blockDim.x) {
    float v = word[c] + pos[c];
    if (a.tokenType != nullptr) v += a.tokenType[c];
    y[c] = floatToBf16(v);
  }
  cta.end();
}

// Zeroes `first` floats at p and `second` floats at q, grid-stride.
__global__ void __launch_bounds__(kThreads)
    zeroFloatsKernel(float* p, size_t first, float* q, size_t second, Interval* trace) {
  CtaTrace cta(trace);
  const size_t step = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < first + second; i += step) {
    if (i < first) {
      p[i] = 0.0f;
    } else {
      q[i - first] = 0.0f;
    }
  }
  cta.end();
}
int zeroCtas(size_t count) {
  const unsigned ctas = ceilDiv(count, kThreads * 8);
  return static_cast<int>(ctas < 1 ? 1 : (ctas > 4096 ? 4096 : ctas));
}

// CTAs [0, tokens): atomically add dy's row to its word's gradient row. CTAs [tokens, tokens + seq):
// dposition[s] = the sum over the batch of dy[b, s] (written).
__global__ void __launch_bounds__(kThreads) embeddingBackwardKernel(EmbeddingBackwardArgs a, Interval* trace) {
  CtaTrace cta(trace);
  const int tokens = a.batch * a.seq;
  if (static_cast<int>(blockIdx.x) < tokens) {
    const int token = blockIdx.x;
    const int id = a.ids[token];
    if (id >= 0 && id < a.vocab) {
      const uint16_t* dy = a.dy + static_cast<size_t>(token) * a.hidden;
      float* dword = a.dword + static_cast<size_t>(id) * a.hidden;
      for (int c = threadIdx.x; c < a.hidden; c += blockDim.x) atomicAdd(&dword[c], bf16ToFloat(dy[c]));
    }
  } else {
    const int s = blockIdx.x - tokens;
    for (int c = threadIdx.x; c < a.hidden; c += blockDim.x) {
      float sum = 0.0f;
      for (int b = 0; b < a.batch; ++b) sum += bf16ToFloat(a.dy[(static_cast<size_t>(b) * a.seq + s) * a.hidden + c]);
      a.dposition[static_cast<size_t>(s) * a.hidden + c] = sum;
    }
  }
  cta.end();
}

// dtokenType[c] = the sum over positions of dposition[s][c] (every token has type 0).
__global__ void __launch_bounds__(kThreads) tokenTypeGradKernel(EmbeddingBackwardArgs a, Interval* trace) {
  CtaTrace cta(trace);
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c < a.hidden) {
    float sum = 0.0f;
    for (int s = 0; s < a.seq; ++s) sum += a.dposition[static_cast<size_t>(s) * a.hidden + c];
    a.dtokenType[c] = sum;
  }
  cta.end();
}

size_t embeddingZeroCount(const EmbeddingBackwardArgs& a) {
  return (static_cast<size_t>(a.vocab) + (a.positions - a.seq)) * a.hidden;
}

// ------------------------------------------------------------ heads ----

// Where column j of the fused [tokens, 3 heads d] row of token t lives in q, k or v [b, heads, s, d].
struct HeadIndex {
  int which;  // 0 q, 1 k, 2 v
  size_t offset;
};
__device__ __forceinline__ HeadIndex headIndex(int t, int j, int seq, int heads, int headDim) {
  const int width = heads * headDim;
  const int which = j / width;
  const int h = (j % width) / headDim, e = j % headDim;
  const int b = t / seq, s = t % seq;
  return HeadIndex{which, ((static_cast<size_t>(b) * heads + h) * seq + s) * headDim + e};
}

template <int W>
__global__ void __launch_bounds__(kThreads) splitHeadsKernel(SplitHeadsArgs a, Interval* trace) {
  CtaTrace cta(trace);
  const int row = 3 * a.heads * a.headDim;
  const size_t units = static_cast<size_t>(a.batch) * a.seq * row / W;
  const size_t unit = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (unit < units) {
    const int t = static_cast<int>(unit / (row / W));
    const int j = static_cast<int>(unit % (row / W)) * W;
    const HeadIndex at = headIndex(t, j, a.seq, a.heads, a.headDim);
    uint16_t* dst = (at.which == 0 ? a.q : at.which == 1 ? a.k : a.v) + at.offset;
    const uint16_t* src = a.qkv + static_cast<size_t>(t) * row + j;
    if (a.bias == nullptr) {
      copyBf16<W>(dst, src);
    } else {
      float x[W], b[W];
      loadBf16<W>(src, x);
      loadAlignedFloats<W>(a.bias + j, b);
#pragma unroll
      for (int i = 0; i < W; ++i) x[i] += b[i];
      storeBf16<W>(dst, x);
    }
  }
  cta.end();
}

int splitWidth(int headDim, bool aligned) { return aligned && headDim % 8 == 0 ? 8 : 1; }
int splitWidth(const SplitHeadsArgs& a) {
  return splitWidth(a.headDim,
                    aligned16(a.qkv) && aligned16(a.q) && aligned16(a.k) && aligned16(a.v) && aligned16(a.bias));
}
int splitWidth(const SplitHeadsBackwardArgs& a) {
  return splitWidth(a.headDim, aligned16(a.dq) && aligned16(a.dk) && aligned16(a.dv) && aligned16(a.dqkv));
}
int splitCtas(const SplitHeadsArgs& a) {
  return static_cast<int>(
      ceilDiv(static_cast<size_t>(a.batch) * a.seq * 3 * a.heads * a.headDim / splitWidth(a), kThreads));
}

// Tokens per CTA row of the split backward (each CTA row writes one partial dbias).
constexpr int kSplitBackwardRows = 32;
struct SplitBackwardGrid {
  int x, y, width;
};
SplitBackwardGrid splitBackwardGrid(const SplitHeadsBackwardArgs& a) {
  const int w = splitWidth(a);
  const int unitsPerRow = 3 * a.heads * a.headDim / w;
  return SplitBackwardGrid{static_cast<int>(ceilDiv(unitsPerRow, kThreads)),
                           static_cast<int>(ceilDiv(static_cast<size_t>(a.batch) * a.seq, kSplitBackwardRows)), w};
}

// dqkv rows [blockIdx.y * 32, +32) for one unit of columns per thread, and their partial dbias.
template <int W>
__global__ void __launch_bounds__(kThreads) splitHeadsBackwardKernel(SplitHeadsBackwardArgs a, Interval* trace) {
  CtaTrace cta(trace);
  const int row = 3 * a.heads * a.headDim;
  const int tokens = a.batch * a.seq;
  const int unit = blockIdx.x * blockDim.x + threadIdx.x;
  if (unit < row / W) {
    const int j = unit * W;
    float acc[W];
#pragma unroll
    for (int i = 0; i < W; ++i) acc[i] = 0.0f;
    const int first = blockIdx.y * kSplitBackwardRows;
    const int last = min(tokens, first + kSplitBackwardRows);
    for (int t = first; t < last; ++t) {
      const HeadIndex at = headIndex(t, j, a.seq, a.heads, a.headDim);
      const uint16_t* src = (at.which == 0 ? a.dq : at.which == 1 ? a.dk : a.dv) + at.offset;
      uint16_t* dst = a.dqkv + static_cast<size_t>(t) * row + j;
      copyBf16<W>(dst, src);
      if (a.dbias != nullptr) {
        float x[W];
        loadBf16<W>(src, x);
#pragma unroll
        for (int i = 0; i < W; ++i) acc[i] += x[i];
      }
    }
    if (a.dbias != nullptr) {
#pragma unroll
      for (int i = 0; i < W; ++i) a.workspace[static_cast<size_t>(blockIdx.y) * row + j + i] = acc[i];
    }
  }
  cta.end();
}

template <int W>
__global__ void __launch_bounds__(kThreads) mergeHeadsKernel(MergeHeadsArgs a, Interval* trace) {
  CtaTrace cta(trace);
  const int width = a.heads * a.headDim;
  const size_t units = static_cast<size_t>(a.batch) * a.seq * width / W;
  const size_t unit = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (unit < units) {
    const int t = static_cast<int>(unit / (width / W));
    const int j = static_cast<int>(unit % (width / W)) * W;
    const int h = j / a.headDim, e = j % a.headDim;
    const int b = t / a.seq, s = t % a.seq;
    const size_t split = ((static_cast<size_t>(b) * a.heads + h) * a.seq + s) * a.headDim + e;
    const size_t merged = static_cast<size_t>(t) * width + j;
    if (a.backward) {
      copyBf16<W>(a.y + split, a.x + merged);
    } else {
      copyBf16<W>(a.y + merged, a.x + split);
    }
  }
  cta.end();
}
int mergeWidth(const MergeHeadsArgs& a) { return splitWidth(a.headDim, aligned16(a.x) && aligned16(a.y)); }
int mergeCtas(const MergeHeadsArgs& a) {
  return static_cast<int>(
      ceilDiv(static_cast<size_t>(a.batch) * a.seq * a.heads * a.headDim / mergeWidth(a), kThreads));
}

// ------------------------------------------------------------ softmax backward ----

constexpr int kSoftmaxMaxCols = 512;
constexpr int kSoftmaxRowsPerCta = kThreads / 32;

// One warp per row; lane l holds units l, l + 32, ... of W columns in registers.
template <int W>
__global__ void __launch_bounds__(kThreads) softmaxBackwardKernel(SoftmaxBackwardArgs a, Interval* trace) {
  constexpr int K = kSoftmaxMaxCols / (32 * W);
  CtaTrace cta(trace);
  const int lane = threadIdx.x % 32;
  const int row = blockIdx.x * kSoftmaxRowsPerCta + threadIdx.x / 32;
  if (row < a.rows) {
    const int units = a.cols / W;
    const size_t base = static_cast<size_t>(row) * a.cols;
    float p[K][W], dp[K][W];
    float dot = 0.0f;
#pragma unroll
    for (int k = 0; k < K; ++k) {
      const int unit = lane + 32 * k;
      if (unit < units) {
        loadBf16<W>(a.p + base + static_cast<size_t>(unit) * W, p[k]);
        loadAlignedFloats<W>(a.dp + base + static_cast<size_t>(unit) * W, dp[k]);
#pragma unroll
        for (int i = 0; i < W; ++i) dot += p[k][i] * dp[k][i];
      }
    }
    dot = warpSum(dot);
#pragma unroll
    for (int k = 0; k < K; ++k) {
      const int unit = lane + 32 * k;
      if (unit < units) {
        float ds[W];
#pragma unroll
        for (int i = 0; i < W; ++i) ds[i] = a.scale * p[k][i] * (dp[k][i] - dot);
        storeBf16<W>(a.ds + base + static_cast<size_t>(unit) * W, ds);
      }
    }
  }
  cta.end();
}

// ------------------------------------------------------------ gather ----

__device__ __forceinline__ int gatherSource(const GatherRowsArgs& a, int i) {
  return a.index != nullptr ? a.index[i] : i * a.stride;
}

// Forward: y[i] = x[source(i)]; backward: dx[source(i)] = dy[i] (dx zeroed before).
template <int W>
__global__ void __launch_bounds__(kThreads) gatherRowsKernel(GatherRowsArgs a, Interval* trace) {
  CtaTrace cta(trace);
  const int i = blockIdx.x;
  const int source = gatherSource(a, i);
  if (source >= 0 && source < a.sourceRows) {
    const size_t gathered = static_cast<size_t>(i) * a.cols, sourced = static_cast<size_t>(source) * a.cols;
    for (int unit = threadIdx.x; unit < a.cols / W; unit += blockDim.x) {
      if (a.backward) {
        copyBf16<W>(a.y + sourced + unit * W, a.x + gathered + unit * W);
      } else {
        copyBf16<W>(a.y + gathered + unit * W, a.x + sourced + unit * W);
      }
    }
  }
  cta.end();
}

__global__ void __launch_bounds__(kThreads) zeroBf16Kernel(uint16_t* p, size_t count, Interval* trace) {
  CtaTrace cta(trace);
  const size_t step = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count; i += step) p[i] = 0;
  cta.end();
}

int gatherWidth(const GatherRowsArgs& a) { return aligned16(a.x) && aligned16(a.y) && a.cols % 8 == 0 ? 8 : 1; }
int gatherZeroCtas(const GatherRowsArgs& a) {
  return a.backward ? zeroCtas(static_cast<size_t>(a.sourceRows) * a.cols) : 0;
}

}  // namespace

// ------------------------------------------------------------ launches ----

int nnCtas(const LayerNormForwardArgs& a) { return a.rows; }
cudaError_t launchLayerNormForward(const LayerNormForwardArgs& a, Interval* trace, cudaStream_t stream) {
  if (a.rows == 0) return cudaSuccess;
  const RowPlan plan = planLayerNorm(a);
  return dispatchRow<8>(plan, [&](auto w, auto u) {
    layerNormForwardKernel<decltype(w)::value, decltype(u)::value><<<a.rows, plan.threads, 0, stream>>>(a, trace);
    return cudaGetLastError();
  });
}

int nnCtas(const LayerNormBackwardArgs& a) {
  return layerNormBackwardRowCtas(a.rows) + columnSumFinishCtas(2 * a.cols);
}
size_t nnWorkspaceBytes(const LayerNormBackwardArgs& a) {
  return static_cast<size_t>(layerNormBackwardRowCtas(a.rows)) * 2 * a.cols * sizeof(float);
}
cudaError_t launchLayerNormBackward(const LayerNormBackwardArgs& a, Interval* trace, cudaStream_t stream) {
  if (a.rows == 0) return cudaSuccess;
  const RowPlan plan = planLayerNormBackward(a);
  const int rowsPerCta = layerNormBackwardRowsPerCta(a.rows);
  const int ctas = layerNormBackwardRowCtas(a.rows);
  const cudaError_t e = dispatchRow<kLayerNormBackwardMaxU>(plan, [&](auto w, auto u) {
    layerNormBackwardKernel<decltype(w)::value, decltype(u)::value>
        <<<ctas, plan.threads, 0, stream>>>(a, rowsPerCta, trace);
    return cudaGetLastError();
  });
  if (e != cudaSuccess) return e;
  return launchFinish(a.workspace, ctas, 2 * a.cols, a.dgamma, a.cols, a.dbeta, traceAt(trace, ctas), stream);
}

int nnCtas(const RmsNormArgs& a) { return a.rows; }
cudaError_t launchRmsNorm(const RmsNormArgs& a, Interval* trace, cudaStream_t stream) {
  if (a.rows == 0) return cudaSuccess;
  const RowPlan plan = planRmsNorm(a);
  return dispatchRow<8>(plan, [&](auto w, auto u) {
    rmsNormKernel<decltype(w)::value, decltype(u)::value><<<a.rows, plan.threads, 0, stream>>>(a, trace);
    return cudaGetLastError();
  });
}

int nnCtas(const EmbeddingForwardArgs& a) { return a.batch * a.seq; }
cudaError_t launchEmbeddingForward(const EmbeddingForwardArgs& a, Interval* trace, cudaStream_t stream) {
  if (a.batch * a.seq == 0) return cudaSuccess;
  embeddingForwardKernel<<<a.batch * a.seq, kThreads, 0, stream>>>(a, trace);
  return cudaGetLastError();
}

int nnCtas(const EmbeddingBackwardArgs& a) {
  return zeroCtas(embeddingZeroCount(a)) + a.batch * a.seq + a.seq +
         (a.dtokenType != nullptr ? static_cast<int>(ceilDiv(a.hidden, kThreads)) : 0);
}
cudaError_t launchEmbeddingBackward(const EmbeddingBackwardArgs& a, Interval* trace, cudaStream_t stream) {
  if (a.positions < a.seq) return cudaErrorInvalidValue;
  const int zero = zeroCtas(embeddingZeroCount(a));
  zeroFloatsKernel<<<zero, kThreads, 0, stream>>>(a.dword, static_cast<size_t>(a.vocab) * a.hidden,
                                                  a.dposition + static_cast<size_t>(a.seq) * a.hidden,
                                                  static_cast<size_t>(a.positions - a.seq) * a.hidden, trace);
  const int scatter = a.batch * a.seq + a.seq;
  if (scatter > 0) embeddingBackwardKernel<<<scatter, kThreads, 0, stream>>>(a, traceAt(trace, zero));
  if (a.dtokenType != nullptr) {
    tokenTypeGradKernel<<<ceilDiv(a.hidden, kThreads), kThreads, 0, stream>>>(a, traceAt(trace, zero + scatter));
  }
  return cudaGetLastError();
}

int nnCtas(const SplitHeadsArgs& a) { return splitCtas(a); }
cudaError_t launchSplitHeads(const SplitHeadsArgs& a, Interval* trace, cudaStream_t stream) {
  const int ctas = splitCtas(a);
  if (ctas == 0) return cudaSuccess;
  if (splitWidth(a) == 8) {
    splitHeadsKernel<8><<<ctas, kThreads, 0, stream>>>(a, trace);
  } else {
    splitHeadsKernel<1><<<ctas, kThreads, 0, stream>>>(a, trace);
  }
  return cudaGetLastError();
}

int nnCtas(const SplitHeadsBackwardArgs& a) {
  const SplitBackwardGrid g = splitBackwardGrid(a);
  return g.x * g.y + (a.dbias != nullptr ? columnSumFinishCtas(3 * a.heads * a.headDim) : 0);
}
size_t nnWorkspaceBytes(const SplitHeadsBackwardArgs& a) {
  if (a.dbias == nullptr) return 0;
  return static_cast<size_t>(splitBackwardGrid(a).y) * 3 * a.heads * a.headDim * sizeof(float);
}
cudaError_t launchSplitHeadsBackward(const SplitHeadsBackwardArgs& a, Interval* trace, cudaStream_t stream) {
  const SplitBackwardGrid g = splitBackwardGrid(a);
  if (g.x * g.y == 0) return cudaSuccess;
  if (g.width == 8) {
    splitHeadsBackwardKernel<8><<<dim3(g.x, g.y), kThreads, 0, stream>>>(a, trace);
  } else {
    splitHeadsBackwardKernel<1><<<dim3(g.x, g.y), kThreads, 0, stream>>>(a, trace);
  }
  if (a.dbias == nullptr) return cudaGetLastError();
  const int n = 3 * a.heads * a.headDim;
  return launchFinish(a.workspace, g.y, n, a.dbias, n, nullptr, traceAt(trace, g.x * g.y), stream);
}

int nnCtas(const MergeHeadsArgs& a) { return mergeCtas(a); }
cudaError_t launchMergeHeads(const MergeHeadsArgs& a, Interval* trace, cudaStream_t stream) {
  const int ctas = mergeCtas(a);
  if (ctas == 0) return cudaSuccess;
  if (mergeWidth(a) == 8) {
    mergeHeadsKernel<8><<<ctas, kThreads, 0, stream>>>(a, trace);
  } else {
    mergeHeadsKernel<1><<<ctas, kThreads, 0, stream>>>(a, trace);
  }
  return cudaGetLastError();
}

int nnCtas(const SoftmaxBackwardArgs& a) { return static_cast<int>(ceilDiv(a.rows, kSoftmaxRowsPerCta)); }
cudaError_t launchSoftmaxBackward(const SoftmaxBackwardArgs& a, Interval* trace, cudaStream_t stream) {
  if (a.cols <= 0 || a.cols > kSoftmaxMaxCols) return cudaErrorInvalidValue;
  const int ctas = nnCtas(a);
  if (ctas == 0) return cudaSuccess;
  if (a.cols % 8 == 0 && aligned16(a.p) && aligned16(a.dp) && aligned16(a.ds)) {
    softmaxBackwardKernel<8><<<ctas, kThreads, 0, stream>>>(a, trace);
  } else {
    softmaxBackwardKernel<1><<<ctas, kThreads, 0, stream>>>(a, trace);
  }
  return cudaGetLastError();
}

int nnCtas(const GatherRowsArgs& a) { return gatherZeroCtas(a) + a.rows; }
cudaError_t launchGatherRows(const GatherRowsArgs& a, Interval* trace, cudaStream_t stream) {
  const int zero = gatherZeroCtas(a);
  if (a.backward) {
    zeroBf16Kernel<<<zero, kThreads, 0, stream>>>(a.y, static_cast<size_t>(a.sourceRows) * a.cols, trace);
  }
  if (a.rows > 0) {
    const unsigned threads = a.cols / gatherWidth(a) >= 128 ? kThreads : 128;
    if (gatherWidth(a) == 8) {
      gatherRowsKernel<8><<<a.rows, threads, 0, stream>>>(a, traceAt(trace, zero));
    } else {
      gatherRowsKernel<1><<<a.rows, threads, 0, stream>>>(a, traceAt(trace, zero));
    }
  }
  return cudaGetLastError();
}

}  // namespace gsm
