// Elementwise kernels of kernels/nn.h: add, fp32 -> bf16 cast, bias + activation (forward) and its
// backward with the bias gradient. All memory-bound: 16-byte accesses (8 bf16) where the pointers and
// row lengths allow, a grid-stride loop over a fixed grid (nn_common.cuh); the bias gradient is a
// column reduction (per-CTA partials, then a finish kernel that adds them in a fixed order).
#include <cmath>
#include "activation.cuh"
#include "nn.h"
#include "nn_common.cuh"

namespace gsm {
namespace {

using namespace nn;

// c may alias a or b: no __restrict__ (each element is read before it is written, by the same thread).
__global__ void __launch_bounds__(kThreads)
    addKernel(const uint16_t* a, const uint16_t* b, uint16_t* c, size_t count, bool vectorized, Interval* trace) {
  CtaTrace cta(trace);
  gridStride<8>(
      count, vectorized,
      [&](size_t e) {
        float va[8], vb[8];
        loadBf16<8>(a + e, va);
        loadBf16<8>(b + e, vb);
#pragma unroll
        for (int j = 0; j < 8; ++j) va[j] += vb[j];
        storeBf16<8>(c + e, va);
      },
      [&](size_t e) { c[e] = floatToBf16(bf16ToFloat(a[e]) + bf16ToFloat(b[e])); });
  cta.end();
}

__global__ void __launch_bounds__(kThreads)
    castKernel(const float* __restrict__ x, uint16_t* __restrict__ y, size_t count, bool vectorized, Interval* trace) {
  CtaTrace cta(trace);
  gridStride<8>(
      count, vectorized,
      [&](size_t e) {
        const float4 lo = *reinterpret_cast<const float4*>(x + e);
        const float4 hi = *reinterpret_cast<const float4*>(x + e + 4);
        const float v[8] = {lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w};
        storeBf16<8>(y + e, v);
      },
      [&](size_t e) { y[e] = floatToBf16(x[e]); });
  cta.end();
}

// y = act(x + bias[col]); preact = x + bias. y may alias x.
__global__ void __launch_bounds__(kThreads)
    biasActivationKernel(const uint16_t* x, const float* __restrict__ bias, uint16_t* y, uint16_t* preact, int cols,
                         size_t count, Activation act, bool vectorized, Interval* trace) {
  CtaTrace cta(trace);
  gridStride<8>(
      count, vectorized,
      [&](size_t e) {  // 8 columns of one row (cols % 8 == 0)
        float v[8];
        loadBf16<8>(x + e, v);
        if (bias != nullptr) {
          const int col = static_cast<int>(e % cols);
#pragma unroll
          for (int j = 0; j < 8; ++j) v[j] += bias[col + j];
        }
        if (preact != nullptr) storeBf16<8>(preact + e, v);
#pragma unroll
        for (int j = 0; j < 8; ++j) v[j] = activate(v[j], act);
        storeBf16<8>(y + e, v);
      },
      [&](size_t e) {
        float v = bf16ToFloat(x[e]);
        if (bias != nullptr) v += bias[e % cols];
        if (preact != nullptr) preact[e] = floatToBf16(v);
        y[e] = floatToBf16(activate(v, act));
      });
  cta.end();
}

// dx = dy act'(preact) over the column geometry; with partials, each CTA's column sums of dx (fp32,
// before rounding) go to partials[slice][cols]. dx may alias dy.
template <int V>
__global__ void __launch_bounds__(kThreads)
    biasActivationBackwardKernel(const uint16_t* dy, const uint16_t* __restrict__ preact, uint16_t* dx, int rows,
                                 int cols, int tx, int rowsPerSlice, Activation act, float* __restrict__ partials,
                                 Interval* trace) {
  CtaTrace cta(trace);
  __shared__ float scratch[kThreads * V];
  const ColumnThread t = columnThread(rows, cols, V, tx, rowsPerSlice);
  float acc[1][V] = {};
  if (t.active) {
    for (int r = t.row; r < t.rowEnd; r += t.step * kColumnUnroll) {
      Bf16Bits<V> rawDy[kColumnUnroll], rawPre[kColumnUnroll];
#pragma unroll
      for (int u = 0; u < kColumnUnroll; ++u) {
        const int row = r + u * t.step;
        if (row < t.rowEnd) {
          const size_t at = static_cast<size_t>(row) * cols + t.c0;
          rawDy[u] = loadBits<V>(dy + at);
          if (act != Activation::None) rawPre[u] = loadBits<V>(preact + at);
        }
      }
#pragma unroll
      for (int u = 0; u < kColumnUnroll; ++u) {
        const int row = r + u * t.step;
        if (row < t.rowEnd) {
          float g[V], pre[V];
          unpackBits<V>(rawDy[u], g);
          if (act != Activation::None) {
            unpackBits<V>(rawPre[u], pre);
#pragma unroll
            for (int j = 0; j < V; ++j) g[j] *= activationSlope(pre[j], act);
          }
#pragma unroll
          for (int j = 0; j < V; ++j) acc[0][j] += g[j];
          storeBf16<V>(dx + static_cast<size_t>(row) * cols + t.c0, g);
        }
      }
    }
  }
  if (partials != nullptr) storeColumnPartials<1, V>(acc, scratch, partials, cols, tx);
  cta.end();
}

__global__ void __launch_bounds__(kFinishChannels * 32)
    columnSumFinishKernel(const float* __restrict__ partials, int slices, int cols, float* __restrict__ out,
                          Interval* trace) {
  CtaTrace cta(trace);
  __shared__ double scratch[32 * kFinishChannels];
  const double sum = sumPartials(partials, slices, cols, scratch);
  const int c = blockIdx.x * kFinishChannels + threadIdx.x;
  if (threadIdx.y == 0 && c < cols) out[c] = static_cast<float>(sum);
  cta.end();
}

ColumnGrid biasBackwardGrid(const BiasActivationBackwardArgs& a) {
  const bool vectorized =
      a.cols % 8 == 0 && aligned16(a.dy) && aligned16(a.dx) && (a.act == Activation::None || aligned16(a.preact));
  return columnGrid(a.rows, a.cols, vectorized);
}

bool biasActivationVectorized(const BiasActivationArgs& a) {
  return a.cols % 8 == 0 && aligned16(a.x) && aligned16(a.y) && (a.preact == nullptr || aligned16(a.preact));
}

}  // namespace

int nnCtas(const AddArgs& args) { return elementwiseCtas(args.count, 8); }

cudaError_t launchAdd(const AddArgs& a, Interval* trace, cudaStream_t stream) {
  const bool vectorized = aligned16(a.a) && aligned16(a.b) && aligned16(a.c);
  addKernel<<<nnCtas(a), kThreads, 0, stream>>>(a.a, a.b, a.c, a.count, vectorized, trace);
  return cudaGetLastError();
}

int nnCtas(const CastArgs& args) { return elementwiseCtas(args.count, 8); }

cudaError_t launchCast(const CastArgs& a, Interval* trace, cudaStream_t stream) {
  castKernel<<<nnCtas(a), kThreads, 0, stream>>>(a.x, a.y, a.count, aligned16(a.x) && aligned16(a.y), trace);
  return cudaGetLastError();
}

int nnCtas(const BiasActivationArgs& args) { return elementwiseCtas(static_cast<size_t>(args.rows) * args.cols, 8); }

cudaError_t launchBiasActivation(const BiasActivationArgs& a, Interval* trace, cudaStream_t stream) {
  biasActivationKernel<<<nnCtas(a), kThreads, 0, stream>>>(a.x, a.bias, a.y, a.preact, a.cols,
                                                           static_cast<size_t>(a.rows) * a.cols, a.act,
                                                           biasActivationVectorized(a), trace);
  return cudaGetLastError();
}

int nnCtas(const BiasActivationBackwardArgs& args) {
  return biasBackwardGrid(args).ctas() + (args.dbias != nullptr ? finishCtas(args.cols) : 0);
}
size_t nnWorkspaceBytes(const BiasActivationBackwardArgs& args) {
  return args.dbias != nullptr ? static_cast<size_t>(biasBackwardGrid(args).slices) * args.cols * sizeof(float) : 0;
}

cudaError_t launchBiasActivationBackward(const BiasActivationBackwardArgs& a, Interval* trace, cudaStream_t stream) {
  const ColumnGrid g = biasBackwardGrid(a);
  float* partials = a.dbias != nullptr ? a.workspace : nullptr;
  if (g.vec == 8) {
    biasActivationBackwardKernel<8><<<g.grid(), kThreads, 0, stream>>>(a.dy, a.preact, a.dx, a.rows, a.cols, g.tx,
                                                                       g.rowsPerSlice, a.act, partials, trace);
  } else {
    biasActivationBackwardKernel<1><<<g.grid(), kThreads, 0, stream>>>(a.dy, a.preact, a.dx, a.rows, a.cols, g.tx,
                                                                       g.rowsPerSlice, a.act, partials, trace);
  }
  if (a.dbias != nullptr) {
    columnSumFinishKernel<<<finishCtas(a.cols), finishBlock(), 0, stream>>>(partials, g.slices, a.cols, a.dbias,
                                                                            traceAt(trace, g.ctas()));
  }
  return cudaGetLastError();
}

}  // namespace gsm
