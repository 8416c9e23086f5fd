// fp32 gemm with fp32 arithmetic (FFMA, no tensor cores), any m, n, k, either operand transposed,
// batched (grid z): the classic register-blocked kernel. A CTA of 256 threads computes a 128x128
// tile of C; each thread an 8x8 block made of four 4x4 pieces 64 rows / 64 columns apart, so that
// its shared-memory reads are 16-byte vectors that a warp reads without bank conflicts. Slices of 8
// columns of op(A) (held [k][m] in shared memory) and 8 rows of op(B) (held [k][n]) are
// double-buffered: the next slice is loaded into registers while the current one is used.
#include "gemm_internal.h"
#include "trace.cuh"

namespace gsm {
namespace gemm {
namespace {

constexpr int kTileM = kSimtTileM, kTileN = kSimtTileN, kBlockK = 8, kThreads = 256;

// Loads 4 consecutive elements (row, col..col+3) of a row-major matrix, zeros outside it.
__device__ __forceinline__ void fetch4(float (&r)[4], const float* src, int ld, int rows, int cols, int row, int col,
                                       bool vec) {
  if (vec && row < rows && col + 4 <= cols) {
    const float4 v = *reinterpret_cast<const float4*>(src + static_cast<size_t>(row) * ld + col);
    r[0] = v.x;
    r[1] = v.y;
    r[2] = v.z;
    r[3] = v.w;
  } else {
#pragma unroll
    for (int e = 0; e < 4; ++e)
      r[e] = (row < rows && col + e < cols) ? src[static_cast<size_t>(row) * ld + col + e] : 0.0f;
  }
}

struct SimtArgs {
  int m, n, k;
  int64_t strideA, strideB;
  bool vecA, vecB;  // 16-byte loads of the stored rows (row length, batch stride and base aligned)
  Epilogue epilogue;
};

// Slices: sa[kk][row of the tile] and sb[kk][column of the tile], whatever the stored layouts. A
// stored [m][k] (or B^T [n][k]) is read as 128 rows x 2 chunks of 4 along k and stashed transposed;
// A^T [k][m] (or B [k][n]) as 8 rows of k x 32 chunks of 4 and stashed as is.
template <bool kTA, bool kTB>
__global__ void __launch_bounds__(kThreads)
    simtGemmKernel(const float* __restrict__ a, const float* __restrict__ b, const SimtArgs args, Interval* trace) {
  CtaTrace cta(trace);
  __shared__ __align__(16) float sa[2][kBlockK][kTileM];
  __shared__ __align__(16) float sb[2][kBlockK][kTileN];

  const int m = args.m, n = args.n, k = args.k, batch = blockIdx.z;
  a += static_cast<size_t>(batch) * args.strideA;
  b += static_cast<size_t>(batch) * args.strideB;
  const int tileRow = blockIdx.y * kTileM, tileCol = blockIdx.x * kTileN;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int rowOf128 = threadIdx.x / 2, colOf8 = (threadIdx.x % 2) * 4;   // 128 rows x 8 columns
  const int rowOf8 = threadIdx.x / 32, colOf128 = (threadIdx.x % 32) * 4;  // 8 rows x 128 columns

  float ra[4], rb[4];
  auto fetch = [&](int k0) {
    if constexpr (!kTA) {
      fetch4(ra, a, k, m, k, tileRow + rowOf128, k0 + colOf8, args.vecA);
    } else {
      fetch4(ra, a, m, k, m, k0 + rowOf8, tileRow + colOf128, args.vecA);
    }
    if constexpr (!kTB) {
      fetch4(rb, b, n, k, n, k0 + rowOf8, tileCol + colOf128, args.vecB);
    } else {
      fetch4(rb, b, k, n, k, tileCol + rowOf128, k0 + colOf8, args.vecB);
    }
  };
  auto stash = [&](int buf) {
    if constexpr (!kTA) {
#pragma unroll
      for (int e = 0; e < 4; ++e) sa[buf][colOf8 + e][rowOf128] = ra[e];
    } else {
      *reinterpret_cast<float4*>(&sa[buf][rowOf8][colOf128]) = make_float4(ra[0], ra[1], ra[2], ra[3]);
    }
    if constexpr (!kTB) {
      *reinterpret_cast<float4*>(&sb[buf][rowOf8][colOf128]) = make_float4(rb[0], rb[1], rb[2], rb[3]);
    } else {
#pragma unroll
      for (int e = 0; e < 4; ++e) sb[buf][colOf8 + e][rowOf128] = rb[e];
    }
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

#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int row = tileRow + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
    if (row >= m) continue;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int col = tileCol + h * 64 + tx * 4;
      storePair(args.epilogue, batch, row, col, n, acc[i][4 * h], acc[i][4 * h + 1]);
      storePair(args.epilogue, batch, row, col + 2, n, acc[i][4 * h + 2], acc[i][4 * h + 3]);
    }
  }
  cta.end();
}

}  // namespace

cudaError_t launchSimt(const GemmPlan& plan, const float* a, const float* b, const Epilogue& out, Interval* trace,
                       cudaStream_t stream) {
  const GemmShape& s = plan.shape;
  const Strides st = batchStrides(s);
  auto aligned = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; };
  SimtArgs args{};
  args.m = s.m;
  args.n = s.n;
  args.k = s.k;
  args.strideA = st.a;
  args.strideB = st.b;
  args.vecA = (s.transA ? s.m : s.k) % 4 == 0 && (s.batch == 1 || st.a % 4 == 0) && aligned(a);
  args.vecB = (s.transB ? s.k : s.n) % 4 == 0 && (s.batch == 1 || st.b % 4 == 0) && aligned(b);
  args.epilogue = out;
  const dim3 grid(ceilDiv(s.n, kTileN), ceilDiv(s.m, kTileM), s.batch);
  if (s.transA) {
    if (s.transB) {
      simtGemmKernel<true, true><<<grid, kThreads, 0, stream>>>(a, b, args, trace);
    } else {
      simtGemmKernel<true, false><<<grid, kThreads, 0, stream>>>(a, b, args, trace);
    }
  } else if (s.transB) {
    simtGemmKernel<false, true><<<grid, kThreads, 0, stream>>>(a, b, args, trace);
  } else {
    simtGemmKernel<false, false><<<grid, kThreads, 0, stream>>>(a, b, args, trace);
  }
  return cudaGetLastError();
}

}  // namespace gemm
}  // namespace gsm
