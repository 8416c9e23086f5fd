// gemm: C = A * B with bf16 operands and fp32 accumulation on the tensor cores (WMMA, sm_80+),
// any m, n, k. Each CTA computes a 128x128 tile of C with 8 warps (2 x 4, 64x32 each), staging
// 32-wide slices of A and B in shared memory two deep with cp.async. Slices that cross the matrix
// edge, or rows whose 16-byte chunks are not aligned, are loaded element by element with zeros
// outside. This is the first, correct kernel; its speed against cuBLAS is tracked separately.
#include <cuda_bf16.h>
#include <mma.h>
#include "launch.h"
#include "trace.cuh"

namespace gsm {
namespace {

using namespace nvcuda;

constexpr int kTileM = 128, kTileN = 128, kTileK = 32;
constexpr int kThreads = 256;
constexpr int kStrideA = kTileK + 8;   // padded rows (elements); 80 bytes, a multiple of 16
constexpr int kStrideB = kTileN + 8;   // 272 bytes
constexpr int kWarpM = 64, kWarpN = 32;
constexpr int kFragM = kWarpM / 16, kFragN = kWarpN / 16;

struct SharedTiles {
  __nv_bfloat16 a[2][kTileM * kStrideA];
  __nv_bfloat16 b[2][kTileK * kStrideB];
};
struct SharedEpilogue {
  float scratch[kThreads / 32][16 * 16];
};
union SharedStorage {
  SharedTiles tiles;
  SharedEpilogue epilogue;
};

__device__ __forceinline__ void copy16Async(void* sharedDst, const void* globalSrc) {
  const unsigned dst = static_cast<unsigned>(__cvta_generic_to_shared(sharedDst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(dst), "l"(globalSrc));
}
__device__ __forceinline__ void commitAsync() { asm volatile("cp.async.commit_group;"); }
template <int N>
__device__ __forceinline__ void waitAsync() { asm volatile("cp.async.wait_group %0;" ::"n"(N)); }

// Loads a rows x cols tile (cols a multiple of 8) whose top-left element is (row0, col0) of a
// row-major matrix with `ld` columns and extent (rowsTotal, colsTotal) into shared memory.
template <int Rows, int Cols, int Stride>
__device__ __forceinline__ void loadTile(__nv_bfloat16* dst, const __nv_bfloat16* src, int ld,
                                         int rowsTotal, int colsTotal, int row0, int col0,
                                         bool vectorOk) {
  constexpr int kChunksPerRow = Cols / 8;
  constexpr int kChunks = Rows * kChunksPerRow;
  for (int chunk = threadIdx.x; chunk < kChunks; chunk += kThreads) {
    const int r = chunk / kChunksPerRow;
    const int c = (chunk % kChunksPerRow) * 8;
    const int gr = row0 + r, gc = col0 + c;
    __nv_bfloat16* d = dst + r * Stride + c;
    if (vectorOk && gr < rowsTotal && gc + 8 <= colsTotal) {
      copy16Async(d, src + static_cast<size_t>(gr) * ld + gc);
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        d[e] = (gr < rowsTotal && gc + e < colsTotal) ? src[static_cast<size_t>(gr) * ld + gc + e]
                                                      : __float2bfloat16(0.0f);
      }
    }
  }
}

__global__ void __launch_bounds__(kThreads) gemmBf16Kernel(GemmArgs args, Interval* trace) {
  CtaTrace cta(trace);
  __shared__ __align__(128) SharedStorage smem;

  const int m = args.m, n = args.n, k = args.k;
  const auto* a = reinterpret_cast<const __nv_bfloat16*>(args.a);
  const auto* b = reinterpret_cast<const __nv_bfloat16*>(args.b);
  const int tileRow = blockIdx.y * kTileM, tileCol = blockIdx.x * kTileN;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int warpRow = (warp / 4) * kWarpM, warpCol = (warp % 4) * kWarpN;
  // 16-byte chunks of a row are aligned only when the row length keeps every row on 16 bytes.
  const bool vectorA = (k % 8) == 0, vectorB = (n % 8) == 0;

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[kFragM][kFragN];
#pragma unroll
  for (int i = 0; i < kFragM; ++i)
#pragma unroll
    for (int j = 0; j < kFragN; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  const int tilesK = (k + kTileK - 1) / kTileK;
  auto loadStage = [&](int stage, int kt) {
    loadTile<kTileM, kTileK, kStrideA>(smem.tiles.a[stage], a, k, m, k, tileRow, kt * kTileK, vectorA);
    loadTile<kTileK, kTileN, kStrideB>(smem.tiles.b[stage], b, n, k, n, kt * kTileK, tileCol, vectorB);
    commitAsync();
  };

  if (tilesK > 0) loadStage(0, 0);
  for (int kt = 0; kt < tilesK; ++kt) {
    const int stage = kt & 1;
    if (kt + 1 < tilesK) {
      loadStage(stage ^ 1, kt + 1);
      waitAsync<1>();
    } else {
      waitAsync<0>();
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa[kFragM];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> fb[kFragN];
#pragma unroll
      for (int i = 0; i < kFragM; ++i)
        wmma::load_matrix_sync(fa[i], smem.tiles.a[stage] + (warpRow + i * 16) * kStrideA + kk, kStrideA);
#pragma unroll
      for (int j = 0; j < kFragN; ++j)
        wmma::load_matrix_sync(fb[j], smem.tiles.b[stage] + kk * kStrideB + warpCol + j * 16, kStrideB);
#pragma unroll
      for (int i = 0; i < kFragM; ++i)
#pragma unroll
        for (int j = 0; j < kFragN; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
    }
    __syncthreads();
  }

  // Epilogue: each fragment goes through a per-warp scratch tile so that any m, n and alignment work.
  float* scratch = smem.epilogue.scratch[warp];
#pragma unroll
  for (int i = 0; i < kFragM; ++i) {
#pragma unroll
    for (int j = 0; j < kFragN; ++j) {
      wmma::store_matrix_sync(scratch, acc[i][j], 16, wmma::mem_row_major);
      __syncwarp();
      const int row0 = tileRow + warpRow + i * 16, col0 = tileCol + warpCol + j * 16;
#pragma unroll
      for (int e = lane; e < 256; e += 32) {
        const int r = row0 + e / 16, c = col0 + e % 16;
        if (r < m && c < n) args.c[static_cast<size_t>(r) * n + c] = scratch[e];
      }
      __syncwarp();
    }
  }
  cta.end();
}

}  // namespace

int gemmCtaCount(int m, int n) { return ((m + kTileM - 1) / kTileM) * ((n + kTileN - 1) / kTileN); }

cudaError_t launchGemmBf16(const GemmArgs& args, Interval* trace, cudaStream_t stream) {
  const dim3 grid((args.n + kTileN - 1) / kTileN, (args.m + kTileM - 1) / kTileM);
  gemmBf16Kernel<<<grid, kThreads, 0, stream>>>(args, trace);
  return cudaGetLastError();
}

}  // namespace gsm
