// fp32 gemm with fp32 arithmetic (FFMA, no tensor cores), any m, n, k: the classic register-blocked
// kernel. A CTA of 256 threads computes a 128x128 tile of C; each thread an 8x8 block made of four
// 4x4 pieces 64 rows / 64 columns apart, so that its shared-memory reads are 16-byte vectors that a
// warp reads without bank conflicts. Slices of 8 columns of A (stored transposed, [k][m]) and 8 rows
// of B are double-buffered: the next slice is loaded into registers while the current one is used.
#include "gemm_internal.h"
#include "trace.cuh"

namespace gsm {
namespace gemm {
namespace {

constexpr int kTileM = kSimtTileM, kTileN = kSimtTileN, kBlockK = 8, kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    simtGemmKernel(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ c, int m, int n, int k,
                   Interval* trace) {
  CtaTrace cta(trace);
  __shared__ __align__(16) float sa[2][kBlockK][kTileM];
  __shared__ __align__(16) float sb[2][kBlockK][kTileN];

  const int tileRow = blockIdx.y * kTileM, tileCol = blockIdx.x * kTileN;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  // Global loads: A as 128 rows x 2 chunks of 4 columns; B as 8 rows x 32 chunks of 4 columns.
  const int aRow = threadIdx.x / 2, aCol = (threadIdx.x % 2) * 4;
  const int bRow = threadIdx.x / 32, bCol = (threadIdx.x % 32) * 4;
  const bool vecA = (k % 4) == 0, vecB = (n % 4) == 0;

  float ra[4], rb[4];
  auto fetch = [&](int k0) {
    const int gr = tileRow + aRow, gc = k0 + aCol;
    if (vecA && gr < m && gc + 4 <= k) {
      const float4 v = *reinterpret_cast<const float4*>(a + static_cast<size_t>(gr) * k + gc);
      ra[0] = v.x;
      ra[1] = v.y;
      ra[2] = v.z;
      ra[3] = v.w;
    } else {
#pragma unroll
      for (int e = 0; e < 4; ++e) ra[e] = (gr < m && gc + e < k) ? a[static_cast<size_t>(gr) * k + gc + e] : 0.0f;
    }
    const int br = k0 + bRow, bc = tileCol + bCol;
    if (vecB && br < k && bc + 4 <= n) {
      const float4 v = *reinterpret_cast<const float4*>(b + static_cast<size_t>(br) * n + bc);
      rb[0] = v.x;
      rb[1] = v.y;
      rb[2] = v.z;
      rb[3] = v.w;
    } else {
#pragma unroll
      for (int e = 0; e < 4; ++e) rb[e] = (br < k && bc + e < n) ? b[static_cast<size_t>(br) * n + bc + e] : 0.0f;
    }
  };
  auto stash = [&](int buf) {
#pragma unroll
    for (int e = 0; e < 4; ++e) sa[buf][aCol + e][aRow] = ra[e];
    *reinterpret_cast<float4*>(&sb[buf][bRow][bCol]) = make_float4(rb[0], rb[1], rb[2], rb[3]);
  };

  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;

  const int slices = (k + kBlockK - 1) / kBlockK;
  fetch(0);
  stash(0);
  __syncthreads();
  for (int s = 0; s < slices; ++s) {
    const int buf = s & 1;
    if (s + 1 < slices) fetch((s + 1) * kBlockK);
#pragma unroll
    for (int kk = 0; kk < kBlockK; ++kk) {
      float fa[8], fb[8];
      const float4 a0 = *reinterpret_cast<const float4*>(&sa[buf][kk][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&sa[buf][kk][64 + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&sb[buf][kk][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&sb[buf][kk][64 + tx * 4]);
      fa[0] = a0.x;
      fa[1] = a0.y;
      fa[2] = a0.z;
      fa[3] = a0.w;
      fa[4] = a1.x;
      fa[5] = a1.y;
      fa[6] = a1.z;
      fa[7] = a1.w;
      fb[0] = b0.x;
      fb[1] = b0.y;
      fb[2] = b0.z;
      fb[3] = b0.w;
      fb[4] = b1.x;
      fb[5] = b1.y;
      fb[6] = b1.z;
      fb[7] = b1.w;
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(fa[i], fb[j], acc[i][j]);
    }
    if (s + 1 < slices) {
      stash(buf ^ 1);  // the other buffer was last read before the previous barrier
      __syncthreads();
    }
  }

  const bool vecC = (n % 4) == 0;
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int row = tileRow + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
    if (row >= m) continue;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int col = tileCol + h * 64 + tx * 4;
      float* out = c + static_cast<size_t>(row) * n + col;
      if (vecC && col + 4 <= n) {
        *reinterpret_cast<float4*>(out) =
            make_float4(acc[i][4 * h], acc[i][4 * h + 1], acc[i][4 * h + 2], acc[i][4 * h + 3]);
      } else {
#pragma unroll
        for (int e = 0; e < 4; ++e)
          if (col + e < n) out[e] = acc[i][4 * h + e];
      }
    }
  }
  cta.end();
}

}  // namespace

cudaError_t launchSimt(const GemmPlan& plan, const float* a, const float* b, float* c, Interval* trace,
                       cudaStream_t stream) {
  const GemmShape& s = plan.shape;
  const dim3 grid(ceilDiv(s.n, kTileN), ceilDiv(s.m, kTileM));
  simtGemmKernel<<<grid, kThreads, 0, stream>>>(a, b, c, s.m, s.n, s.k, trace);
  return cudaGetLastError();
}

}  // namespace gemm
}  // namespace gsm
