// gemm on the tensor cores of sm_80 and newer with mma.sync: the portable path (Ampere, Ada, and
// Hopper where the wgmma path does not apply), any m, n, k, any alignment, either operand transposed,
// batched (grid z), alpha, accumulate, fp32 or bf16 C (the epilogue of gemm_internal.h).
//
// A CTA of 8 warps computes a 128x128 tile of C; each warp a 64x32 block (4 x 4 mma tiles of
// 16x8). Slices of op(A) (128 x kBlockK) and op(B) (kBlockK x 128) go through a multistage cp.async
// ring in shared memory, each in the layout it is stored in (see Layout). 16-bit operands are read
// with ldmatrix: K-major slices (A, B^T) in its plain form, M/N-major ones (A^T, B) in its
// transposing form; tf32 with plain 32-bit loads rounded by cvt.rna.tf32. Shared-memory rows are
// padded by 16 bytes so that the 8 row addresses of an ldmatrix (or a warp's 32-bit loads) fall in
// different banks. A 16-byte chunk that crosses the matrix edge, or whose row is not 16-byte
// aligned, is loaded element by element with zeros outside.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include "gemm_internal.h"
#include "trace.cuh"

namespace gsm {
namespace gemm {
namespace {

constexpr int kTileM = kMmaTileM, kTileN = kMmaTileN, kThreads = 256;

struct Bf16Cfg {
  using Element = uint16_t;
  static constexpr int kBlockK = 32, kStages = 4;
  static constexpr bool kBf16 = true, kTf32 = false;
};
struct Fp16Cfg {
  using Element = uint16_t;
  static constexpr int kBlockK = 32, kStages = 4;
  static constexpr bool kBf16 = false, kTf32 = false;
};
struct Tf32Cfg {
  using Element = float;
  static constexpr int kBlockK = 16, kStages = 3;
  static constexpr bool kTf32 = true;
};

// Shared-memory slices follow the operands' stored layout: A [m][k] is held as TileM rows of kBlockK
// (K-major), A^T [k][m] as kBlockK rows of TileM (M-major); B [k][n] as kBlockK rows of TileN, B^T
// [n][k] as TileN rows of kBlockK. Rows are padded by one 16-byte chunk.
template <class Cfg, bool kTA, bool kTB>
struct Layout {
  using E = typename Cfg::Element;
  static constexpr int kPerChunk = 16 / sizeof(E);  // elements per 16-byte chunk
  static constexpr int kStrideA = (kTA ? kTileM : Cfg::kBlockK) + kPerChunk;
  static constexpr int kStrideB = (kTB ? Cfg::kBlockK : kTileN) + kPerChunk;
  static constexpr int kStageA = (kTA ? Cfg::kBlockK : kTileM) * kStrideA;  // elements
  static constexpr int kStageB = (kTB ? kTileN : Cfg::kBlockK) * kStrideB;
  static constexpr size_t kSharedBytes = static_cast<size_t>(Cfg::kStages) * (kStageA + kStageB) * sizeof(E);
};

__device__ __forceinline__ uint32_t sharedAddress(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}
__device__ __forceinline__ void copy16Async(void* dst, const void* src) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(sharedAddress(dst)), "l"(src) : "memory");
}
__device__ __forceinline__ void commitAsync() { asm volatile("cp.async.commit_group;" ::: "memory"); }
template <int N>
__device__ __forceinline__ void waitAsync() {
  asm volatile("cp.async.wait_group %0;" ::"n"(N) : "memory");
}

// Copies a Rows x Cols slice whose top-left element is (row0, col0) of a row-major matrix with
// `ld` columns and extent rowsTotal x colsTotal into shared memory rows of `stride` elements.
template <class E, int Rows, int Cols>
__device__ __forceinline__ void loadSlice(E* dst, int stride, const E* src, int ld, int rowsTotal, int colsTotal,
                                          int row0, int col0, bool rowsAligned) {
  constexpr int kPerChunk = 16 / sizeof(E);
  constexpr int kChunksPerRow = Cols / kPerChunk;
  constexpr int kChunks = Rows * kChunksPerRow;
#pragma unroll
  for (int chunk = threadIdx.x; chunk < kChunks; chunk += kThreads) {
    const int r = chunk / kChunksPerRow;
    const int cc = (chunk % kChunksPerRow) * kPerChunk;
    const int gr = row0 + r, gc = col0 + cc;
    E* d = dst + r * stride + cc;
    if (rowsAligned && gr < rowsTotal && gc + kPerChunk <= colsTotal) {
      copy16Async(d, src + static_cast<size_t>(gr) * ld + gc);
    } else {
#pragma unroll
      for (int e = 0; e < kPerChunk; ++e) {
        d[e] = (gr < rowsTotal && gc + e < colsTotal) ? src[static_cast<size_t>(gr) * ld + gc + e] : E(0);
      }
    }
  }
}

__device__ __forceinline__ void ldmatrixX4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(sharedAddress(p)));
}
__device__ __forceinline__ void ldmatrixX4Trans(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(sharedAddress(p)));
}

template <bool kBf16>
__device__ __forceinline__ void mma16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  if constexpr (kBf16) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  } else {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
}

__device__ __forceinline__ void mma1688Tf32(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ uint32_t toTf32(float x) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return r;
}

// One kBlockK slice of the warp's 64x32 block: acc[i][j] is the 16x8 tile (i, j).
template <class Cfg, bool kTA, bool kTB>
__device__ __forceinline__ void computeSlice(float (&acc)[4][4][4], const typename Cfg::Element* sa,
                                             const typename Cfg::Element* sb, int warpRow, int warpCol, int lane) {
  using L = Layout<Cfg, kTA, kTB>;
  if constexpr (!Cfg::kTf32) {
    const int q = lane / 8, r = lane % 8;  // lanes 8q..8q+7 address the rows of matrix q of an x4 ldmatrix
#pragma unroll
    for (int kk = 0; kk < Cfg::kBlockK; kk += 16) {
      uint32_t a[4][4], b[2][4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        if constexpr (!kTA) {
          // Matrices (m 0-7, k 0-7), (m 8-15, k 0-7), (m 0-7, k 8-15), (m 8-15, k 8-15): a0..a3 in mma order.
          ldmatrixX4(a[i], sa + (warpRow + i * 16 + lane % 16) * L::kStrideA + kk + (lane / 16) * 8);
        } else {
          // The same four matrices from rows of k, transposed on the way.
          ldmatrixX4Trans(a[i], sa + (kk + (q / 2) * 8 + r) * L::kStrideA + warpRow + i * 16 + (q % 2) * 8);
        }
      }
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        // b[j]: matrices (k 0-7, n 0-7), (k 8-15, n 0-7), (k 0-7, n 8-15), (k 8-15, n 8-15) of columns 16 j.
        if constexpr (!kTB) {
          ldmatrixX4Trans(b[j], sb + (kk + (q % 2) * 8 + r) * L::kStrideB + warpCol + j * 16 + (q / 2) * 8);
        } else {
          ldmatrixX4(b[j], sb + (warpCol + j * 16 + (q / 2) * 8 + r) * L::kStrideB + kk + (q % 2) * 8);
        }
      }
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
          mma16816<Cfg::kBf16>(acc[i][j], a[i], b[j / 2][(j % 2) * 2], b[j / 2][(j % 2) * 2 + 1]);
    }
  } else {
    const int g = lane / 4, t = lane % 4;
    // Element (row, col) of op(A) [TileM x kBlockK] and op(B) [kBlockK x TileN] in the slices.
    auto at = [&](int row, int col) { return kTA ? sa[col * L::kStrideA + row] : sa[row * L::kStrideA + col]; };
    auto bt = [&](int row, int col) { return kTB ? sb[col * L::kStrideB + row] : sb[row * L::kStrideB + col]; };
#pragma unroll
    for (int kk = 0; kk < Cfg::kBlockK; kk += 8) {
      uint32_t a[4][4], b[4][2];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int row = warpRow + i * 16 + g;
        a[i][0] = toTf32(at(row, kk + t));
        a[i][1] = toTf32(at(row + 8, kk + t));
        a[i][2] = toTf32(at(row, kk + t + 4));
        a[i][3] = toTf32(at(row + 8, kk + t + 4));
      }
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int col = warpCol + j * 8 + g;
        b[j][0] = toTf32(bt(kk + t, col));
        b[j][1] = toTf32(bt(kk + t + 4, col));
      }
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) mma1688Tf32(acc[i][j], a[i], b[j][0], b[j][1]);
    }
  }
}

// Per launch: the problem, whether 16-byte chunks of each operand's rows are aligned (row length,
// batch stride and base pointer), and the epilogue. Batch z of the grid is product z.
struct MmaArgs {
  int m, n, k;
  int64_t strideA, strideB;
  bool alignedA, alignedB;
  Epilogue epilogue;
};

template <class Cfg, bool kTA, bool kTB>
__global__ void __launch_bounds__(kThreads)
    mmaGemmKernel(const typename Cfg::Element* __restrict__ a, const typename Cfg::Element* __restrict__ b,
                  const MmaArgs args, Interval* trace) {
  using E = typename Cfg::Element;
  using L = Layout<Cfg, kTA, kTB>;
  CtaTrace cta(trace);
  extern __shared__ __align__(16) uint8_t sharedRaw[];
  E* sa = reinterpret_cast<E*>(sharedRaw);
  E* sb = sa + Cfg::kStages * L::kStageA;

  const int m = args.m, n = args.n, k = args.k, batch = blockIdx.z;
  a += static_cast<size_t>(batch) * args.strideA;
  b += static_cast<size_t>(batch) * args.strideB;
  const int tileRow = blockIdx.y * kTileM, tileCol = blockIdx.x * kTileN;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int warpRow = (warp / 4) * 64, warpCol = (warp % 4) * 32;

  float acc[4][4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;

  const int slices = (k + Cfg::kBlockK - 1) / Cfg::kBlockK;
  auto load = [&](int slice) {
    const int stage = slice % Cfg::kStages, k0 = slice * Cfg::kBlockK;
    E* dstA = sa + stage * L::kStageA;
    E* dstB = sb + stage * L::kStageB;
    if constexpr (!kTA) {
      loadSlice<E, kTileM, Cfg::kBlockK>(dstA, L::kStrideA, a, k, m, k, tileRow, k0, args.alignedA);
    } else {
      loadSlice<E, Cfg::kBlockK, kTileM>(dstA, L::kStrideA, a, m, k, m, k0, tileRow, args.alignedA);
    }
    if constexpr (!kTB) {
      loadSlice<E, Cfg::kBlockK, kTileN>(dstB, L::kStrideB, b, n, k, n, k0, tileCol, args.alignedB);
    } else {
      loadSlice<E, kTileN, Cfg::kBlockK>(dstB, L::kStrideB, b, k, n, k, tileCol, k0, args.alignedB);
    }
  };

#pragma unroll
  for (int s = 0; s < Cfg::kStages - 1; ++s) {
    if (s < slices) load(s);
    commitAsync();
  }
  for (int slice = 0; slice < slices; ++slice) {
    waitAsync<Cfg::kStages - 2>();  // slice `slice` has landed (for this thread's copies)
    __syncthreads();  // ... for every thread's, and the stage refilled below is no longer read
    if (slice + Cfg::kStages - 1 < slices) load(slice + Cfg::kStages - 1);
    commitAsync();
    const int stage = slice % Cfg::kStages;
    computeSlice<Cfg, kTA, kTB>(acc, sa + stage * L::kStageA, sb + stage * L::kStageB, warpRow, warpCol, lane);
  }

  // Epilogue: c0,c1 at (row g, columns 2t, 2t+1), c2,c3 at row g + 8.
#pragma unroll
  for (int i = 0; i < 4; ++i) {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int col = tileCol + warpCol + j * 8 + (lane % 4) * 2;
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = tileRow + warpRow + i * 16 + lane / 4 + h * 8;
        if (row < m) storePair(args.epilogue, batch, row, col, n, acc[i][j][2 * h], acc[i][j][2 * h + 1]);
      }
    }
  }
  cta.end();
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) % 16) == 0; }

template <class Cfg, bool kTA, bool kTB>
cudaError_t launchLayout(const GemmPlan& plan, const void* a, const void* b, const Epilogue& out, Interval* trace,
                         cudaStream_t stream) {
  using E = typename Cfg::Element;
  constexpr size_t bytes = Layout<Cfg, kTA, kTB>::kSharedBytes;
  constexpr int kPerChunk = 16 / sizeof(E);
  const cudaError_t e = cudaFuncSetAttribute(mmaGemmKernel<Cfg, kTA, kTB>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                             static_cast<int>(bytes));
  if (e != cudaSuccess) return e;
  const GemmShape& s = plan.shape;
  const Strides st = batchStrides(s);
  MmaArgs args{};
  args.m = s.m;
  args.n = s.n;
  args.k = s.k;
  args.strideA = st.a;
  args.strideB = st.b;
  const int rowA = kTA ? s.m : s.k, rowB = kTB ? s.k : s.n;  // stored row lengths
  args.alignedA = rowA % kPerChunk == 0 && (s.batch == 1 || st.a % kPerChunk == 0) && aligned16(a);
  args.alignedB = rowB % kPerChunk == 0 && (s.batch == 1 || st.b % kPerChunk == 0) && aligned16(b);
  args.epilogue = out;
  const dim3 grid(ceilDiv(s.n, kTileN), ceilDiv(s.m, kTileM), s.batch);
  mmaGemmKernel<Cfg, kTA, kTB>
      <<<grid, kThreads, bytes, stream>>>(static_cast<const E*>(a), static_cast<const E*>(b), args, trace);
  return cudaGetLastError();
}

template <class Cfg>
cudaError_t launchTyped(const GemmPlan& plan, const void* a, const void* b, const Epilogue& out, Interval* trace,
                        cudaStream_t stream) {
  const GemmShape& s = plan.shape;
  if (s.transA) {
    return s.transB ? launchLayout<Cfg, true, true>(plan, a, b, out, trace, stream)
                    : launchLayout<Cfg, true, false>(plan, a, b, out, trace, stream);
  }
  return s.transB ? launchLayout<Cfg, false, true>(plan, a, b, out, trace, stream)
                  : launchLayout<Cfg, false, false>(plan, a, b, out, trace, stream);
}

}  // namespace

cudaError_t launchMma(const GemmPlan& plan, const void* a, const void* b, const Epilogue& out, Interval* trace,
                      cudaStream_t stream) {
  switch (plan.shape.dtype) {
    case GemmDtype::Bf16: return launchTyped<Bf16Cfg>(plan, a, b, out, trace, stream);
    case GemmDtype::Fp16: return launchTyped<Fp16Cfg>(plan, a, b, out, trace, stream);
    case GemmDtype::Tf32: return launchTyped<Tf32Cfg>(plan, a, b, out, trace, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace gemm
}  // namespace gsm
