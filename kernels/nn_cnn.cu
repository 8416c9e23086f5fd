// The CNN kernels of kernels/nn.h over NHWC tensors seen as [rows = n h w, channels]: batch norm
// (training forward, inference, backward), ReLU backward, max pooling (forward with the winning
// window position, backward as a gather) and global average pooling.
//
// Batch norm, training, is three launches, all memory-bound:
//   1. statistics: column geometry (nn_common.cuh); each thread sums x - k and (x - k)^2 for its
//      channels over its rows, with k = the channel's value in row 0 (a shift that keeps the
//      variance E[(x-k)^2] - E[x-k]^2 free of the cancellation of E[x^2] - E[x]^2 when |mean| >> std);
//      per-CTA partials into the workspace.
//   2. finish: one thread per channel adds the partials in double in a fixed order (deterministic),
//      writes mean, invstd and the running statistics.
//   3. apply: y = act(gamma (x - mean) invstd + beta + residual), same geometry as 1, the
//      per-channel values in registers.
// The backward pass has the same shape: sums of dy and dy xhat, finish (dbeta, dgamma), dx.
// Rows of whole 16-byte vectors (channels % 8 == 0, aligned pointers) are read 8 channels at a
// time; any other shape one channel per thread (correct, slower).
#include <cmath>
#include "nn.h"
#include "nn_common.cuh"

namespace gsm {
namespace {

using namespace nn;

// ---------------------------------------------------------------- batch norm ----

template <int V>
__global__ void __launch_bounds__(kThreads, kColumnCtasPerSm)
    bnStatsKernel(const uint16_t* __restrict__ x, int rows, int channels, int tx, int rowsPerSlice,
                  float* __restrict__ partials, Interval* trace) {
  CtaTrace cta(trace);
  __shared__ float scratch[2 * kThreads * V];
  const ColumnThread t = columnThread(rows, channels, V, tx, rowsPerSlice);
  float acc[2][V] = {};
  if (t.active) {
    const Bf16Bits<V> shiftBits = loadBits<V>(x + t.c0);
    float shift[V];
    unpackBits<V>(shiftBits, shift);
    for (int r = t.row; r < t.rowEnd; r += t.step * kColumnUnroll) {
      Bf16Bits<V> raw[kColumnUnroll];
#pragma unroll
      for (int u = 0; u < kColumnUnroll; ++u) {
        const int row = r + u * t.step;
        raw[u] = row < t.rowEnd ? loadBits<V>(x + static_cast<size_t>(row) * channels + t.c0) : shiftBits;  // 0 if past
      }
#pragma unroll
      for (int u = 0; u < kColumnUnroll; ++u) {
        float v[V];
        unpackBits<V>(raw[u], v);
#pragma unroll
        for (int j = 0; j < V; ++j) {
          const float d = v[j] - shift[j];
          acc[0][j] += d;
          acc[1][j] = fmaf(d, d, acc[1][j]);
        }
      }
    }
  }
  storeColumnPartials<2, V>(acc, scratch, partials, channels, tx);
  cta.end();
}

__global__ void __launch_bounds__(kFinishChannels * 32)
    bnForwardFinishKernel(const uint16_t* __restrict__ x, const float* __restrict__ partials, int slices, int rows,
                          int channels, float eps, float momentum, float* __restrict__ saveMean,
                          float* __restrict__ saveInvStd, float* __restrict__ runningMean,
                          float* __restrict__ runningVar, Interval* trace) {
  CtaTrace cta(trace);
  __shared__ double scratch[32 * kFinishChannels];
  const double s1 = sumPartials(partials, slices, channels, scratch);
  const double s2 = sumPartials(partials + static_cast<size_t>(slices) * channels, slices, channels, scratch);
  const int c = blockIdx.x * kFinishChannels + threadIdx.x;
  if (threadIdx.y == 0 && c < channels) {
    const double n = rows;
    const double shifted = s1 / n;
    const double var = fmax(s2 / n - shifted * shifted, 0.0);
    const double mean = static_cast<double>(bf16ToFloat(x[c])) + shifted;
    saveMean[c] = static_cast<float>(mean);
    saveInvStd[c] = static_cast<float>(1.0 / sqrt(var + static_cast<double>(eps)));
    const double unbiased = rows > 1 ? var * n / (n - 1.0) : var;
    if (runningMean != nullptr)
      runningMean[c] = static_cast<float>((1.0 - momentum) * runningMean[c] + momentum * mean);
    if (runningVar != nullptr)
      runningVar[c] = static_cast<float>((1.0 - momentum) * runningVar[c] + momentum * unbiased);
  }
  cta.end();
}

// y = act(gamma (x - mean) invstd + beta + residual); invstd = 1 / sqrt(var + eps) when fromVar (inference).
// Two CTAs per SM (the grid runs in two waves): registers for four rows of x and residual in flight.
template <int V>
__global__ void __launch_bounds__(kThreads, kColumnCtasPerSm / 2)
    bnApplyKernel(const uint16_t* x, const uint16_t* residual, const float* __restrict__ gamma,
                  const float* __restrict__ beta, const float* __restrict__ mean, const float* __restrict__ invstd,
                  bool fromVar, float eps, bool relu, uint16_t* y, int rows, int channels, int tx, int rowsPerSlice,
                  Interval* trace) {
  CtaTrace cta(trace);
  const ColumnThread t = columnThread(rows, channels, V, tx, rowsPerSlice);
  if (t.active) {
    float mu[V], scale[V], shift[V];
#pragma unroll
    for (int j = 0; j < V; ++j) {
      const int c = t.c0 + j;
      mu[j] = mean[c];
      const float inv = fromVar ? 1.0f / sqrtf(invstd[c] + eps) : invstd[c];
      scale[j] = gamma[c] * inv;
      shift[j] = beta[c];
    }
    for (int r = t.row; r < t.rowEnd; r += t.step * kColumnUnroll) {
      Bf16Bits<V> rawX[kColumnUnroll], rawRes[kColumnUnroll];
#pragma unroll
      for (int u = 0; u < kColumnUnroll; ++u) {
        const int row = r + u * t.step;
        if (row < t.rowEnd) {
          const size_t at = static_cast<size_t>(row) * channels + t.c0;
          rawX[u] = loadBits<V>(x + at);
          if (residual != nullptr) rawRes[u] = loadBits<V>(residual + at);
        }
      }
#pragma unroll
      for (int u = 0; u < kColumnUnroll; ++u) {
        const int row = r + u * t.step;
        if (row < t.rowEnd) {
          float v[V], res[V], out[V];
          unpackBits<V>(rawX[u], v);
          if (residual != nullptr) unpackBits<V>(rawRes[u], res);
#pragma unroll
          for (int j = 0; j < V; ++j) {
            float o = fmaf(v[j] - mu[j], scale[j], shift[j]);
            if (residual != nullptr) o += res[j];
            out[j] = relu ? fmaxf(o, 0.0f) : o;
          }
          storeBf16<V>(y + static_cast<size_t>(row) * channels + t.c0, out);
        }
      }
    }
  }
  cta.end();
}

// Sums of dy and dy xhat per channel (xhat = (x - mean) invstd) into partials [2][slices][channels].
template <int V>
__global__ void __launch_bounds__(kThreads, kColumnCtasPerSm)
    bnBackwardStatsKernel(const uint16_t* __restrict__ dy, const uint16_t* __restrict__ x,
                          const float* __restrict__ mean, const float* __restrict__ invstd, int rows, int channels,
                          int tx, int rowsPerSlice, float* __restrict__ partials, Interval* trace) {
  CtaTrace cta(trace);
  __shared__ float scratch[2 * kThreads * V];
  const ColumnThread t = columnThread(rows, channels, V, tx, rowsPerSlice);
  float acc[2][V] = {};
  if (t.active) {
    float mu[V], inv[V];
    loadFloats<V>(mean + t.c0, mu);
    loadFloats<V>(invstd + t.c0, inv);
    for (int r = t.row; r < t.rowEnd; r += t.step * kColumnUnroll) {
      Bf16Bits<V> rawDy[kColumnUnroll], rawX[kColumnUnroll];
#pragma unroll
      for (int u = 0; u < kColumnUnroll; ++u) {
        const int row = r + u * t.step;
        if (row < t.rowEnd) {
          const size_t at = static_cast<size_t>(row) * channels + t.c0;
          rawDy[u] = loadBits<V>(dy + at);
          rawX[u] = loadBits<V>(x + at);
        } else {
          rawDy[u] = rawX[u] = Bf16Bits<V>{};  // dy = 0 contributes 0
        }
      }
#pragma unroll
      for (int u = 0; u < kColumnUnroll; ++u) {
        float g[V], v[V];
        unpackBits<V>(rawDy[u], g);
        unpackBits<V>(rawX[u], v);
#pragma unroll
        for (int j = 0; j < V; ++j) {
          acc[0][j] += g[j];
          acc[1][j] = fmaf(g[j], (v[j] - mu[j]) * inv[j], acc[1][j]);
        }
      }
    }
  }
  storeColumnPartials<2, V>(acc, scratch, partials, channels, tx);
  cta.end();
}

__global__ void __launch_bounds__(kFinishChannels * 32)
    bnBackwardFinishKernel(const float* __restrict__ partials, int slices, int channels, float* __restrict__ dgamma,
                           float* __restrict__ dbeta, Interval* trace) {
  CtaTrace cta(trace);
  __shared__ double scratch[32 * kFinishChannels];
  const double sumDy = sumPartials(partials, slices, channels, scratch);
  const double sumDyXhat = sumPartials(partials + static_cast<size_t>(slices) * channels, slices, channels, scratch);
  const int c = blockIdx.x * kFinishChannels + threadIdx.x;
  if (threadIdx.y == 0 && c < channels) {
    dbeta[c] = static_cast<float>(sumDy);
    dgamma[c] = static_cast<float>(sumDyXhat);
  }
  cta.end();
}

// dx = gamma invstd (dy - dbeta / rows - xhat dgamma / rows).
template <int V>
__global__ void __launch_bounds__(kThreads, kColumnCtasPerSm / 2)
    bnBackwardApplyKernel(const uint16_t* dy, const uint16_t* __restrict__ x, const float* __restrict__ gamma,
                          const float* __restrict__ mean, const float* __restrict__ invstd,
                          const float* __restrict__ dgamma, const float* __restrict__ dbeta, uint16_t* dx, int rows,
                          int channels, int tx, int rowsPerSlice, Interval* trace) {
  CtaTrace cta(trace);
  const ColumnThread t = columnThread(rows, channels, V, tx, rowsPerSlice);
  if (t.active) {
    float mu[V], inv[V], scale[V], meanDy[V], meanDyXhat[V];
    const float perRow = 1.0f / static_cast<float>(rows);
#pragma unroll
    for (int j = 0; j < V; ++j) {
      const int c = t.c0 + j;
      mu[j] = mean[c];
      inv[j] = invstd[c];
      scale[j] = gamma[c] * inv[j];
      meanDy[j] = dbeta[c] * perRow;
      meanDyXhat[j] = dgamma[c] * perRow;
    }
    for (int r = t.row; r < t.rowEnd; r += t.step * kColumnUnroll) {
      Bf16Bits<V> rawDy[kColumnUnroll], rawX[kColumnUnroll];
#pragma unroll
      for (int u = 0; u < kColumnUnroll; ++u) {
        const int row = r + u * t.step;
        if (row < t.rowEnd) {
          const size_t at = static_cast<size_t>(row) * channels + t.c0;
          rawDy[u] = loadBits<V>(dy + at);
          rawX[u] = loadBits<V>(x + at);
        }
      }
#pragma unroll
      for (int u = 0; u < kColumnUnroll; ++u) {
        const int row = r + u * t.step;
        if (row < t.rowEnd) {
          float g[V], v[V], out[V];
          unpackBits<V>(rawDy[u], g);
          unpackBits<V>(rawX[u], v);
#pragma unroll
          for (int j = 0; j < V; ++j) {
            const float xhat = (v[j] - mu[j]) * inv[j];
            out[j] = scale[j] * (g[j] - meanDy[j] - xhat * meanDyXhat[j]);
          }
          storeBf16<V>(dx + static_cast<size_t>(row) * channels + t.c0, out);
        }
      }
    }
  }
  cta.end();
}

bool bnVectorized(int channels, const void* a, const void* b, const void* c) {
  return channels % 8 == 0 && aligned16(a) && aligned16(b) && (c == nullptr || aligned16(c));
}
ColumnGrid bnGrid(const BatchNormForwardArgs& a) {
  return columnGrid(a.rows, a.channels, bnVectorized(a.channels, a.x, a.y, a.residual));
}
ColumnGrid bnGrid(const BatchNormInferenceArgs& a) {
  return columnGrid(a.rows, a.channels, bnVectorized(a.channels, a.x, a.y, a.residual));
}
ColumnGrid bnGrid(const BatchNormBackwardArgs& a) {
  return columnGrid(a.rows, a.channels, bnVectorized(a.channels, a.dy, a.x, a.dx));
}

// ---------------------------------------------------------------- ReLU backward ----

__global__ void __launch_bounds__(kThreads)
    reluBackwardKernel(const uint16_t* dy, const uint16_t* __restrict__ y, uint16_t* dx, size_t count, bool vectorized,
                       Interval* trace) {
  CtaTrace cta(trace);
  gridStride<8>(
      count, vectorized,
      [&](size_t e) {
        float g[8], v[8];
        loadBf16<8>(dy + e, g);
        loadBf16<8>(y + e, v);
#pragma unroll
        for (int j = 0; j < 8; ++j) g[j] = v[j] > 0.0f ? g[j] : 0.0f;
        storeBf16<8>(dx + e, g);
      },
      [&](size_t e) { dx[e] = bf16ToFloat(y[e]) > 0.0f ? dy[e] : static_cast<uint16_t>(0); });
  cta.end();
}

bool reluVectorized(const ReluBackwardArgs& a) { return aligned16(a.dy) && aligned16(a.y) && aligned16(a.dx); }

// ---------------------------------------------------------------- pooling ----

struct PoolShape {
  int n, h, w, c, r, s, stride, pad, p, q;
};
template <class A>
PoolShape poolShape(const A& a) {
  return PoolShape{a.n, a.h, a.w, a.c, a.r, a.s, a.stride, a.pad, a.p, a.q};
}

// One thread per output pixel and V channels: the window's maximum (padding never wins; the first
// of equal values wins) and its position i s + j.
template <int V>
__global__ void __launch_bounds__(kThreads)
    maxPoolForwardKernel(PoolShape g, const uint16_t* __restrict__ x, uint16_t* __restrict__ y,
                         uint8_t* __restrict__ argmax, Interval* trace) {
  CtaTrace cta(trace);
  const int vectors = g.c / V;
  const size_t items = static_cast<size_t>(g.n) * g.p * g.q * vectors;
  for (size_t item = static_cast<size_t>(blockIdx.x) * kThreads + threadIdx.x; item < items;
       item += static_cast<size_t>(gridDim.x) * kThreads) {
    const int c0 = static_cast<int>(item % vectors) * V;
    const size_t pixel = item / vectors;  // (n p + pp) q + qq
    const int qq = static_cast<int>(pixel % g.q);
    const int pp = static_cast<int>((pixel / g.q) % g.p);
    const int image = static_cast<int>(pixel / (static_cast<size_t>(g.q) * g.p));
    float best[V];
    uint8_t arg[V];
#pragma unroll
    for (int k = 0; k < V; ++k) {
      best[k] = -INFINITY;
      arg[k] = 0;
    }
    for (int i = 0; i < g.r; ++i) {
      const int hh = pp * g.stride - g.pad + i;
      if (hh < 0 || hh >= g.h) continue;
      for (int j = 0; j < g.s; ++j) {
        const int ww = qq * g.stride - g.pad + j;
        if (ww < 0 || ww >= g.w) continue;
        float v[V];
        loadBf16<V>(x + ((static_cast<size_t>(image) * g.h + hh) * g.w + ww) * g.c + c0, v);
#pragma unroll
        for (int k = 0; k < V; ++k) {
          if (v[k] > best[k]) {
            best[k] = v[k];
            arg[k] = static_cast<uint8_t>(i * g.s + j);
          }
        }
      }
    }
    const size_t out = pixel * g.c + c0;
    storeBf16<V>(y + out, best);
    if (argmax != nullptr) {
      if constexpr (V == 8) {
        uint2 packed;
        packed.x = arg[0] | (arg[1] << 8) | (arg[2] << 16) | (static_cast<uint32_t>(arg[3]) << 24);
        packed.y = arg[4] | (arg[5] << 8) | (arg[6] << 16) | (static_cast<uint32_t>(arg[7]) << 24);
        *reinterpret_cast<uint2*>(argmax + out) = packed;
      } else {
#pragma unroll
        for (int k = 0; k < V; ++k) argmax[out + k] = arg[k];
      }
    }
  }
  cta.end();
}

// One thread per input pixel and V channels: the sum of dy over the windows that contain the pixel
// and chose it (argmax), a gather: no atomics, the same bits every run.
template <int V>
__global__ void __launch_bounds__(kThreads)
    maxPoolBackwardKernel(PoolShape g, const uint16_t* __restrict__ dy, const uint8_t* __restrict__ argmax,
                          uint16_t* __restrict__ dx, Interval* trace) {
  CtaTrace cta(trace);
  const int vectors = g.c / V;
  const size_t items = static_cast<size_t>(g.n) * g.h * g.w * vectors;
  for (size_t item = static_cast<size_t>(blockIdx.x) * kThreads + threadIdx.x; item < items;
       item += static_cast<size_t>(gridDim.x) * kThreads) {
    const int c0 = static_cast<int>(item % vectors) * V;
    const size_t pixel = item / vectors;  // (n h + hh) w + ww
    const int ww = static_cast<int>(pixel % g.w);
    const int hh = static_cast<int>((pixel / g.w) % g.h);
    const int image = static_cast<int>(pixel / (static_cast<size_t>(g.w) * g.h));
    // Windows pp with pp stride - pad <= hh <= pp stride - pad + r - 1.
    const int lowP = hh + g.pad - g.r + 1, lowQ = ww + g.pad - g.s + 1;
    const int p0 = lowP <= 0 ? 0 : (lowP + g.stride - 1) / g.stride;
    const int q0 = lowQ <= 0 ? 0 : (lowQ + g.stride - 1) / g.stride;
    const int p1 = min(g.p - 1, (hh + g.pad) / g.stride);
    const int q1 = min(g.q - 1, (ww + g.pad) / g.stride);
    float sum[V] = {};
    for (int pp = p0; pp <= p1; ++pp) {
      for (int qq = q0; qq <= q1; ++qq) {
        const int position = (hh - (pp * g.stride - g.pad)) * g.s + (ww - (qq * g.stride - g.pad));
        const size_t out = ((static_cast<size_t>(image) * g.p + pp) * g.q + qq) * g.c + c0;
        float grad[V];
        loadBf16<V>(dy + out, grad);
        uint8_t arg[V];
        if constexpr (V == 8) {
          const uint2 packed = *reinterpret_cast<const uint2*>(argmax + out);
#pragma unroll
          for (int k = 0; k < 4; ++k) {
            arg[k] = static_cast<uint8_t>(packed.x >> (8 * k));
            arg[k + 4] = static_cast<uint8_t>(packed.y >> (8 * k));
          }
        } else {
#pragma unroll
          for (int k = 0; k < V; ++k) arg[k] = argmax[out + k];
        }
#pragma unroll
        for (int k = 0; k < V; ++k) {
          if (arg[k] == position) sum[k] += grad[k];
        }
      }
    }
    storeBf16<V>(dx + pixel * g.c + c0, sum);
  }
  cta.end();
}

bool maxPoolVectorized(int c, const void* in, const void* out, const void* argmax) {
  return c % 8 == 0 && aligned16(in) && aligned16(out) && (reinterpret_cast<uintptr_t>(argmax) & 7u) == 0;
}
bool maxPoolVectorized(const MaxPoolForwardArgs& a) { return maxPoolVectorized(a.c, a.x, a.y, a.argmax); }
bool maxPoolVectorized(const MaxPoolBackwardArgs& a) { return maxPoolVectorized(a.c, a.dy, a.dx, a.argmax); }

// y [n, c] = mean over the pixels of x [n, pixels, c]: one thread per image and V channels.
template <int V>
__global__ void __launch_bounds__(kThreads)
    avgPoolForwardKernel(int n, int pixels, int c, const uint16_t* __restrict__ x, uint16_t* __restrict__ y,
                         Interval* trace) {
  CtaTrace cta(trace);
  const int vectors = c / V;
  const size_t items = static_cast<size_t>(n) * vectors;
  const float inv = 1.0f / static_cast<float>(pixels);
  for (size_t item = static_cast<size_t>(blockIdx.x) * kThreads + threadIdx.x; item < items;
       item += static_cast<size_t>(gridDim.x) * kThreads) {
    const int c0 = static_cast<int>(item % vectors) * V;
    const size_t image = item / vectors;
    const uint16_t* in = x + image * pixels * c + c0;
    float sum[V] = {};
#pragma unroll 4
    for (int p = 0; p < pixels; ++p) {
      float v[V];
      loadBf16<V>(in + static_cast<size_t>(p) * c, v);
#pragma unroll
      for (int k = 0; k < V; ++k) sum[k] += v[k];
    }
#pragma unroll
    for (int k = 0; k < V; ++k) sum[k] *= inv;
    storeBf16<V>(y + image * c + c0, sum);
  }
  cta.end();
}

__global__ void __launch_bounds__(kThreads)
    avgPoolBackwardKernel(int pixels, int c, size_t count, const uint16_t* __restrict__ dy, uint16_t* __restrict__ dx,
                          bool vectorized, Interval* trace) {
  CtaTrace cta(trace);
  const float inv = 1.0f / static_cast<float>(pixels);
  const size_t perImage = static_cast<size_t>(pixels) * c;
  gridStride<8>(
      count, vectorized,
      [&](size_t e) {  // 8 channels of one pixel (c % 8 == 0)
        float g[8];
        loadBf16<8>(dy + (e / perImage) * c + e % c, g);
#pragma unroll
        for (int k = 0; k < 8; ++k) g[k] *= inv;
        storeBf16<8>(dx + e, g);
      },
      [&](size_t e) { dx[e] = floatToBf16(bf16ToFloat(dy[(e / perImage) * c + e % c]) * inv); });
  cta.end();
}

bool avgPoolVectorized(int c, const void* a, const void* b) { return c % 8 == 0 && aligned16(a) && aligned16(b); }

}  // namespace

// ---------------------------------------------------------------- launches ----

int nnCtas(const BatchNormForwardArgs& args) { return 2 * bnGrid(args).ctas() + finishCtas(args.channels); }
size_t nnWorkspaceBytes(const BatchNormForwardArgs& args) {
  return 2 * static_cast<size_t>(bnGrid(args).slices) * args.channels * sizeof(float);
}

cudaError_t launchBatchNormForward(const BatchNormForwardArgs& a, Interval* trace, cudaStream_t stream) {
  const ColumnGrid g = bnGrid(a);
  if (g.vec == 8) {
    bnStatsKernel<8>
        <<<g.grid(), kThreads, 0, stream>>>(a.x, a.rows, a.channels, g.tx, g.rowsPerSlice, a.workspace, trace);
  } else {
    bnStatsKernel<1>
        <<<g.grid(), kThreads, 0, stream>>>(a.x, a.rows, a.channels, g.tx, g.rowsPerSlice, a.workspace, trace);
  }
  bnForwardFinishKernel<<<finishCtas(a.channels), finishBlock(), 0, stream>>>(
      a.x, a.workspace, g.slices, a.rows, a.channels, a.eps, a.momentum, a.saveMean, a.saveInvStd, a.runningMean,
      a.runningVar, traceAt(trace, g.ctas()));
  Interval* applyTrace = traceAt(trace, g.ctas() + finishCtas(a.channels));
  if (g.vec == 8) {
    bnApplyKernel<8><<<g.grid(), kThreads, 0, stream>>>(a.x, a.residual, a.gamma, a.beta, a.saveMean, a.saveInvStd,
                                                        false, 0.0f, a.relu, a.y, a.rows, a.channels, g.tx,
                                                        g.rowsPerSlice, applyTrace);
  } else {
    bnApplyKernel<1><<<g.grid(), kThreads, 0, stream>>>(a.x, a.residual, a.gamma, a.beta, a.saveMean, a.saveInvStd,
                                                        false, 0.0f, a.relu, a.y, a.rows, a.channels, g.tx,
                                                        g.rowsPerSlice, applyTrace);
  }
  return cudaGetLastError();
}

int nnCtas(const BatchNormInferenceArgs& args) { return bnGrid(args).ctas(); }

cudaError_t launchBatchNormInference(const BatchNormInferenceArgs& a, Interval* trace, cudaStream_t stream) {
  const ColumnGrid g = bnGrid(a);
  if (g.vec == 8) {
    bnApplyKernel<8><<<g.grid(), kThreads, 0, stream>>>(a.x, a.residual, a.gamma, a.beta, a.runningMean, a.runningVar,
                                                        true, a.eps, a.relu, a.y, a.rows, a.channels, g.tx,
                                                        g.rowsPerSlice, trace);
  } else {
    bnApplyKernel<1><<<g.grid(), kThreads, 0, stream>>>(a.x, a.residual, a.gamma, a.beta, a.runningMean, a.runningVar,
                                                        true, a.eps, a.relu, a.y, a.rows, a.channels, g.tx,
                                                        g.rowsPerSlice, trace);
  }
  return cudaGetLastError();
}

int nnCtas(const BatchNormBackwardArgs& args) { return 2 * bnGrid(args).ctas() + finishCtas(args.channels); }
size_t nnWorkspaceBytes(const BatchNormBackwardArgs& args) {
  return 2 * static_cast<size_t>(bnGrid(args).slices) * args.channels * sizeof(float);
}

cudaError_t launchBatchNormBackward(const BatchNormBackwardArgs& a, Interval* trace, cudaStream_t stream) {
  const ColumnGrid g = bnGrid(a);
  if (g.vec == 8) {
    bnBackwardStatsKernel<8><<<g.grid(), kThreads, 0, stream>>>(a.dy, a.x, a.saveMean, a.saveInvStd, a.rows, a.channels,
                                                                g.tx, g.rowsPerSlice, a.workspace, trace);
  } else {
    bnBackwardStatsKernel<1><<<g.grid(), kThreads, 0, stream>>>(a.dy, a.x, a.saveMean, a.saveInvStd, a.rows, a.channels,
                                                                g.tx, g.rowsPerSlice, a.workspace, trace);
  }
  bnBackwardFinishKernel<<<finishCtas(a.channels), finishBlock(), 0, stream>>>(
      a.workspace, g.slices, a.channels, a.dgamma, a.dbeta, traceAt(trace, g.ctas()));
  Interval* applyTrace = traceAt(trace, g.ctas() + finishCtas(a.channels));
  if (g.vec == 8) {
    bnBackwardApplyKernel<8><<<g.grid(), kThreads, 0, stream>>>(a.dy, a.x, a.gamma, a.saveMean, a.saveInvStd, a.dgamma,
                                                                a.dbeta, a.dx, a.rows, a.channels, g.tx, g.rowsPerSlice,
                                                                applyTrace);
  } else {
    bnBackwardApplyKernel<1><<<g.grid(), kThreads, 0, stream>>>(a.dy, a.x, a.gamma, a.saveMean, a.saveInvStd, a.dgamma,
                                                                a.dbeta, a.dx, a.rows, a.channels, g.tx, g.rowsPerSlice,
                                                                applyTrace);
  }
  return cudaGetLastError();
}

int nnCtas(const ReluBackwardArgs& args) { return elementwiseCtas(args.count, 8); }

cudaError_t launchReluBackward(const ReluBackwardArgs& a, Interval* trace, cudaStream_t stream) {
  reluBackwardKernel<<<nnCtas(a), kThreads, 0, stream>>>(a.dy, a.y, a.dx, a.count, reluVectorized(a), trace);
  return cudaGetLastError();
}

int nnCtas(const MaxPoolForwardArgs& a) {
  return elementwiseCtas(static_cast<size_t>(a.n) * a.p * a.q * a.c, maxPoolVectorized(a) ? 8 : 1);
}

cudaError_t launchMaxPoolForward(const MaxPoolForwardArgs& a, Interval* trace, cudaStream_t stream) {
  if (a.r * a.s > 256) return cudaErrorInvalidValue;  // the window position is one byte
  if (maxPoolVectorized(a)) {
    maxPoolForwardKernel<8><<<nnCtas(a), kThreads, 0, stream>>>(poolShape(a), a.x, a.y, a.argmax, trace);
  } else {
    maxPoolForwardKernel<1><<<nnCtas(a), kThreads, 0, stream>>>(poolShape(a), a.x, a.y, a.argmax, trace);
  }
  return cudaGetLastError();
}

int nnCtas(const MaxPoolBackwardArgs& a) {
  return elementwiseCtas(static_cast<size_t>(a.n) * a.h * a.w * a.c, maxPoolVectorized(a) ? 8 : 1);
}

cudaError_t launchMaxPoolBackward(const MaxPoolBackwardArgs& a, Interval* trace, cudaStream_t stream) {
  if (a.r * a.s > 256) return cudaErrorInvalidValue;
  if (maxPoolVectorized(a)) {
    maxPoolBackwardKernel<8><<<nnCtas(a), kThreads, 0, stream>>>(poolShape(a), a.dy, a.argmax, a.dx, trace);
  } else {
    maxPoolBackwardKernel<1><<<nnCtas(a), kThreads, 0, stream>>>(poolShape(a), a.dy, a.argmax, a.dx, trace);
  }
  return cudaGetLastError();
}

int nnCtas(const AvgPoolForwardArgs& a) {
  return elementwiseCtas(static_cast<size_t>(a.n) * a.c, avgPoolVectorized(a.c, a.x, a.y) ? 8 : 1);
}

cudaError_t launchAvgPoolForward(const AvgPoolForwardArgs& a, Interval* trace, cudaStream_t stream) {
  if (avgPoolVectorized(a.c, a.x, a.y)) {
    avgPoolForwardKernel<8><<<nnCtas(a), kThreads, 0, stream>>>(a.n, a.pixels, a.c, a.x, a.y, trace);
  } else {
    avgPoolForwardKernel<1><<<nnCtas(a), kThreads, 0, stream>>>(a.n, a.pixels, a.c, a.x, a.y, trace);
  }
  return cudaGetLastError();
}

int nnCtas(const AvgPoolBackwardArgs& a) { return elementwiseCtas(static_cast<size_t>(a.n) * a.pixels * a.c, 8); }

cudaError_t launchAvgPoolBackward(const AvgPoolBackwardArgs& a, Interval* trace, cudaStream_t stream) {
  avgPoolBackwardKernel<<<nnCtas(a), kThreads, 0, stream>>>(a.pixels, a.c, static_cast<size_t>(a.n) * a.pixels * a.c,
                                                            a.dy, a.dx, avgPoolVectorized(a.c, a.dy, a.dx), trace);
  return cudaGetLastError();
}

}  // namespace gsm
