// copy (b = a) and triad (a = b + s*c) over fp32 arrays: the memory-bound kernels. Each thread
// moves 16-byte vectors (float4) in a grid-stride loop, four vectors in flight before the first
// store, so that enough bytes are outstanding to keep HBM busy; the grid is a fixed number of CTAs
// per SM (copyCtaCount), so every launch of a size has the same CTAs, which the trace records.
// Elements past the last whole float4 (count % 4) are done one by one by the first CTA.
#include "launch.h"
#include "trace.cuh"

namespace gsm {
namespace {

constexpr int kThreads = 256;
constexpr int kCtasPerSm = 8;  // 8 x 256 threads: the SM's 2048-thread limit
constexpr int kUnroll = 4;

__global__ void __launch_bounds__(kThreads)
    copyKernel(const float* __restrict__ a, float* __restrict__ b, size_t count, Interval* trace) {
  CtaTrace cta(trace);
  const size_t vectors = count / 4;
  const auto* a4 = reinterpret_cast<const float4*>(a);
  auto* b4 = reinterpret_cast<float4*>(b);
  const size_t stride = static_cast<size_t>(gridDim.x) * kThreads;
  size_t i = static_cast<size_t>(blockIdx.x) * kThreads + threadIdx.x;
  // Main loop: kUnroll independent loads in flight, then their stores.
  for (; i + (kUnroll - 1) * stride < vectors; i += kUnroll * stride) {
    float4 v[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) v[u] = a4[i + u * stride];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) b4[i + u * stride] = v[u];
  }
  for (; i < vectors; i += stride) b4[i] = a4[i];
  if (blockIdx.x == 0 && threadIdx.x < count % 4) {
    const size_t e = vectors * 4 + threadIdx.x;
    b[e] = a[e];
  }
  cta.end();
}

__global__ void __launch_bounds__(kThreads)
    triadKernel(float* __restrict__ a, const float* __restrict__ b, const float* __restrict__ c, float scalar,
                size_t count, Interval* trace) {
  CtaTrace cta(trace);
  const size_t vectors = count / 4;
  auto* a4 = reinterpret_cast<float4*>(a);
  const auto* b4 = reinterpret_cast<const float4*>(b);
  const auto* c4 = reinterpret_cast<const float4*>(c);
  const size_t stride = static_cast<size_t>(gridDim.x) * kThreads;
  size_t i = static_cast<size_t>(blockIdx.x) * kThreads + threadIdx.x;
  auto combine = [scalar](float4 x, float4 y) {
    return make_float4(fmaf(scalar, y.x, x.x), fmaf(scalar, y.y, x.y), fmaf(scalar, y.z, x.z), fmaf(scalar, y.w, x.w));
  };
  for (; i + (kUnroll - 1) * stride < vectors; i += kUnroll * stride) {
    float4 vb[kUnroll], vc[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      vb[u] = b4[i + u * stride];
      vc[u] = c4[i + u * stride];
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) a4[i + u * stride] = combine(vb[u], vc[u]);
  }
  for (; i < vectors; i += stride) a4[i] = combine(b4[i], c4[i]);
  if (blockIdx.x == 0 && threadIdx.x < count % 4) {
    const size_t e = vectors * 4 + threadIdx.x;
    a[e] = fmaf(scalar, c[e], b[e]);
  }
  cta.end();
}

}  // namespace

int copyCtaCount(int smCount, size_t count) {
  const size_t vectors = (count + 3) / 4;
  const size_t needed = (vectors + kThreads - 1) / kThreads;  // more CTAs than this would idle
  const size_t full = static_cast<size_t>(smCount) * kCtasPerSm;
  return static_cast<int>(needed < full ? (needed == 0 ? 1 : needed) : full);
}

cudaError_t launchCopyF32(const CopyArgs& args, int ctas, Interval* trace, cudaStream_t stream) {
  copyKernel<<<ctas, kThreads, 0, stream>>>(args.a, args.b, args.count, trace);
  return cudaGetLastError();
}

cudaError_t launchTriadF32(const TriadArgs& args, int ctas, Interval* trace, cudaStream_t stream) {
  triadKernel<<<ctas, kThreads, 0, stream>>>(args.a, args.b, args.c, args.scalar, args.count, trace);
  return cudaGetLastError();
}

}  // namespace gsm
