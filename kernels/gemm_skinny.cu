// gemm with few rows of A (m <= kSkinnyMaxM, bf16): the memory-bound product of a decode step,
// y = x W^T, where B (the weight) is large and read once. The tile kernels waste most of a 128-row
// tile here and, with few tiles along n, most SMs; the skinny kernels spread n over every SM and
// stream B with 16-byte loads. This file holds the fp32 FFMA kernels (every layout) and the
// dispatch; kernels/gemm_skinny_mma.cu the tensor-core kernel for B^T [n, k], which the plan picks
// from a few rows of A on (GemmPlan::skinnyMma, see kernels/gemm.cu): FFMA does m FMA (and the
// unpacking) per bf16 of B, which at 8 rows already takes the SM's FP32 pipes longer than DRAM
// takes to deliver the bytes (measured on the H200: twice the time of 1 row). FFMA CTAs have 8
// warps; op(A) is staged in shared memory (as bf16, K in chunks that fit) and read by every warp.
// Two forms, by how B is stored:
//   B^T [n, k] (transB, a Linear weight): each warp owns kCols consecutive columns of C, i.e. rows
//     of B^T; its lanes stride along k (8 elements each, 256 per warp step, two steps in flight),
//     keep partial dot products for every row of A, and reduce them across the warp at the end.
//   B [k, n]: each lane owns 8 consecutive columns (a warp 256, a CTA 256); the CTA's warps split
//     K (row r of B goes to warp r % 8) and add their partial sums in shared memory at the end;
//     rows of A in groups of up to 8 (B is streamed once per group). With only n / 256 CTAs this
//     form keeps fewer loads in flight; planGemm picks it only when asked (see kernels/gemm.cu).
// op(A) may be A^T [k, m] (transA) in both. Batches on grid z. One trace record per CTA.
#include <cuda_bf16.h>
#include "gemm_internal.h"
#include "trace.cuh"

namespace gsm {
namespace gemm {
namespace {

constexpr int kThreads = 256, kWarps = 8;
constexpr int kStagedElements = 32768;  // bf16 elements of op(A) staged at once (64 KB)
constexpr int kNnCols = 256;            // columns of C per CTA of the B [k, n] form
constexpr int kNnRows = 8;              // rows of A per group of the B [k, n] form

struct SkinnyArgs {
  int m, n, k;
  int chunk;  // columns of op(A) staged per pass: a multiple of 256
  int64_t strideA, strideB;
  bool transA;
  bool vecA;  // A [m, k] rows readable in 16-byte pieces (k, the batch stride and the base aligned)
  Epilogue epilogue;
};

// Rows of A a kernel instance holds (template kM) for m, and columns per warp of the B^T form.
int rowsFor(int m) {
  int r = 1;
  while (r < m) r *= 2;
  return r;
}
int colsPerWarp(int rows) { return rows <= 16 ? 4 : (rows == 32 ? 2 : 1); }

// Chunk of K staged per pass for `rows` rows of op(A).
int chunkFor(int rows, int k) {
  int chunk = (kStagedElements / rows) / 256 * 256;
  if (chunk < 256) chunk = 256;
  const int whole = (k + 255) / 256 * 256;
  return chunk < whole ? chunk : whole;
}

__device__ __forceinline__ void unpack8(const uint4& v, float (&f)[8]) {
  const uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int e = 0; e < 4; ++e) {  // the first bf16 of a pair is the low half
    f[2 * e] = __uint_as_float(w[e] << 16);
    f[2 * e + 1] = __uint_as_float(w[e] & 0xffff0000u);
  }
}
__device__ __forceinline__ uint4 load16(const uint16_t* p) { return __ldg(reinterpret_cast<const uint4*>(p)); }

// sA[i][kk] = op(A)[r0 + i][k0 + kk] for i < rows, kk < chunk (zeros past k); rows of chunk + 8.
__device__ void stageA(uint16_t* sA, const uint16_t* a, const SkinnyArgs& p, int k0, int r0, int rows) {
  const int ld = p.chunk + 8;
  if (p.vecA) {
    const int pieces = p.chunk / 8;
    for (int idx = threadIdx.x; idx < rows * pieces; idx += kThreads) {
      const int i = idx / pieces, kk = (idx % pieces) * 8;
      uint4 v = make_uint4(0, 0, 0, 0);
      if (k0 + kk < p.k) v = load16(a + static_cast<size_t>(r0 + i) * p.k + k0 + kk);
      *reinterpret_cast<uint4*>(sA + i * ld + kk) = v;
    }
  } else if (p.transA) {  // A^T [k, m]: consecutive threads read consecutive rows of op(A)
    for (int idx = threadIdx.x; idx < rows * p.chunk; idx += kThreads) {
      const int i = idx % rows, kk = idx / rows, kg = k0 + kk;
      sA[i * ld + kk] = kg < p.k ? a[static_cast<size_t>(kg) * p.m + r0 + i] : uint16_t(0);
    }
  } else {
    for (int idx = threadIdx.x; idx < rows * p.chunk; idx += kThreads) {
      const int i = idx / p.chunk, kk = idx % p.chunk, kg = k0 + kk;
      sA[i * ld + kk] = kg < p.k ? a[static_cast<size_t>(r0 + i) * p.k + kg] : uint16_t(0);
    }
  }
}

// B^T [n, k]: C[i][col] = sum over k of op(A)[i][k] B^T[col][k].
template <int kM, int kC>
__global__ void __launch_bounds__(kThreads)
    skinnyNtKernel(const uint16_t* __restrict__ a, const uint16_t* __restrict__ b, const SkinnyArgs p,
                   Interval* trace) {
  CtaTrace cta(trace);
  extern __shared__ __align__(16) uint16_t sA[];
  const int z = blockIdx.z, m = p.m, n = p.n, k = p.k, ld = p.chunk + 8;
  a += static_cast<size_t>(z) * p.strideA;
  b += static_cast<size_t>(z) * p.strideB;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int col0 = (blockIdx.x * kWarps + warp) * kC;
  const uint16_t* rows[kC];
  bool valid[kC];
#pragma unroll
  for (int c = 0; c < kC; ++c) {
    valid[c] = col0 + c < n;
    rows[c] = b + static_cast<size_t>(valid[c] ? col0 + c : 0) * k;
  }
  float acc[kM][kC];
#pragma unroll
  for (int i = 0; i < kM; ++i)
#pragma unroll
    for (int c = 0; c < kC; ++c) acc[i][c] = 0.0f;

  for (int k0 = 0; k0 < k; k0 += p.chunk) {
    __syncthreads();  // every warp is done with the previous chunk
    stageA(sA, a, p, k0, 0, m);
    __syncthreads();
    const int span = min(p.chunk, k - k0);  // a multiple of 8 (k is)
    for (int kk = lane * 8; kk < span; kk += 512) {
      const bool second = kk + 256 < span;
      uint4 bv[2][kC];
#pragma unroll
      for (int c = 0; c < kC; ++c) {  // both steps' loads first: more bytes in flight
        bv[0][c] = valid[c] ? load16(rows[c] + k0 + kk) : make_uint4(0, 0, 0, 0);
        bv[1][c] = valid[c] && second ? load16(rows[c] + k0 + kk + 256) : make_uint4(0, 0, 0, 0);
      }
#pragma unroll
      for (int s = 0; s < 2; ++s) {
        if (s == 1 && !second) break;
        float bf[kC][8];
#pragma unroll
        for (int c = 0; c < kC; ++c) unpack8(bv[s][c], bf[c]);
#pragma unroll
        for (int i = 0; i < kM; ++i) {
          if (i < m) {
            float af[8];
            unpack8(*reinterpret_cast<const uint4*>(sA + i * ld + kk + s * 256), af);
#pragma unroll
            for (int c = 0; c < kC; ++c)
#pragma unroll
              for (int e = 0; e < 8; ++e) acc[i][c] = fmaf(af[e], bf[c][e], acc[i][c]);
          }
        }
      }
    }
  }
#pragma unroll
  for (int i = 0; i < kM; ++i) {
#pragma unroll
    for (int c = 0; c < kC; ++c) {
      float v = acc[i][c];
#pragma unroll
      for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
      if (lane == (i * kC + c) % 32 && i < m && valid[c]) storeOne(p.epilogue, z, i, col0 + c, n, v);
    }
  }
  cta.end();
}

// B [k, n]: C[i][col] = sum over k of op(A)[i][k] B[k][col].
template <int kM>
__global__ void __launch_bounds__(kThreads)
    skinnyNnKernel(const uint16_t* __restrict__ a, const uint16_t* __restrict__ b, const SkinnyArgs p,
                   Interval* trace) {
  CtaTrace cta(trace);
  extern __shared__ __align__(16) uint8_t sharedRaw[];
  float* sums = reinterpret_cast<float*>(sharedRaw);  // [kM][kNnCols]
  uint16_t* sA = reinterpret_cast<uint16_t*>(sums + kM * kNnCols);
  const int z = blockIdx.z, m = p.m, n = p.n, k = p.k, ld = p.chunk + 8;
  a += static_cast<size_t>(z) * p.strideA;
  b += static_cast<size_t>(z) * p.strideB;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int col = blockIdx.x * kNnCols + lane * 8;
  const bool valid = col < n;  // n is a multiple of 8: all 8 columns or none

  for (int r0 = 0; r0 < m; r0 += kM) {
    const int rows = min(kM, m - r0);
    for (int i = threadIdx.x; i < kM * kNnCols; i += kThreads) sums[i] = 0.0f;  // ordered by the barriers below
    float acc[kM][8];
#pragma unroll
    for (int i = 0; i < kM; ++i)
#pragma unroll
      for (int e = 0; e < 8; ++e) acc[i][e] = 0.0f;
    for (int k0 = 0; k0 < k; k0 += p.chunk) {
      __syncthreads();
      stageA(sA, a, p, k0, r0, rows);
      __syncthreads();
      const int span = min(p.chunk, k - k0);
      for (int r = warp; r < span; r += 4 * kWarps) {  // rows r, r + 8, r + 16, r + 24 of the chunk
        uint4 bv[4];
#pragma unroll
        for (int u = 0; u < 4; ++u) {
          const int rr = r + u * kWarps;
          bv[u] = valid && rr < span ? load16(b + static_cast<size_t>(k0 + rr) * n + col) : make_uint4(0, 0, 0, 0);
        }
#pragma unroll
        for (int u = 0; u < 4; ++u) {
          const int rr = r + u * kWarps;
          if (rr >= span) break;
          float bf[8];
          unpack8(bv[u], bf);
#pragma unroll
          for (int i = 0; i < kM; ++i) {
            if (i < rows) {
              const float av = __uint_as_float(static_cast<uint32_t>(sA[i * ld + rr]) << 16);
#pragma unroll
              for (int e = 0; e < 8; ++e) acc[i][e] = fmaf(av, bf[e], acc[i][e]);
            }
          }
        }
      }
    }
#pragma unroll
    for (int i = 0; i < kM; ++i) {
      if (i < rows) {
#pragma unroll
        for (int e = 0; e < 8; ++e) atomicAdd(&sums[i * kNnCols + lane * 8 + e], acc[i][e]);
      }
    }
    __syncthreads();
    for (int idx = threadIdx.x; idx < rows * kNnCols; idx += kThreads) {
      const int i = idx / kNnCols, c = blockIdx.x * kNnCols + idx % kNnCols;
      if (c < n) storeOne(p.epilogue, z, r0 + i, c, n, sums[idx]);
    }
    __syncthreads();  // the sums are read before the next group clears them
  }
  cta.end();
}

template <class Kernel>
cudaError_t launchKernel(Kernel kernel, const GemmPlan& plan, const SkinnyArgs& args, size_t bytes, int ctas,
                         const void* a, const void* b, Interval* trace, cudaStream_t stream) {
  const cudaError_t e =
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
  if (e != cudaSuccess) return e;
  const dim3 grid(ctas, 1, plan.shape.batch);
  kernel<<<grid, kThreads, bytes, stream>>>(static_cast<const uint16_t*>(a), static_cast<const uint16_t*>(b), args,
                                            trace);
  return cudaGetLastError();
}

}  // namespace

int skinnyCtas(const GemmShape& s, bool mma) {
  if (mma) return skinnyMmaCtas(s);
  if (!s.transB) return ceilDiv(s.n, kNnCols);
  return ceilDiv(s.n, kWarps * colsPerWarp(rowsFor(s.m)));
}

cudaError_t launchSkinny(const GemmPlan& plan, const void* a, const void* b, const Epilogue& out, Interval* trace,
                         cudaStream_t stream) {
  if (plan.skinnyMma) return launchSkinnyMma(plan, a, b, out, trace, stream);
  const GemmShape& s = plan.shape;
  if (s.dtype != GemmDtype::Bf16 || s.m > kSkinnyMaxM) return cudaErrorInvalidValue;
  if (reinterpret_cast<uintptr_t>(b) % 16 != 0) return cudaErrorMisalignedAddress;  // 16-byte loads of B
  const Strides st = batchStrides(s);
  const int rows = s.transB ? rowsFor(s.m) : rowsFor(s.m < kNnRows ? s.m : kNnRows);
  SkinnyArgs args{};
  args.m = s.m;
  args.n = s.n;
  args.k = s.k;
  args.chunk = chunkFor(rows, s.k);
  args.strideA = st.a;
  args.strideB = st.b;
  args.transA = s.transA;
  args.vecA = !s.transA && s.k % 8 == 0 && (s.batch == 1 || st.a % 8 == 0) && reinterpret_cast<uintptr_t>(a) % 16 == 0;
  args.epilogue = out;
  const size_t staged = static_cast<size_t>(rows) * (args.chunk + 8) * sizeof(uint16_t);
  const int ctas = skinnyCtas(s, false);
  if (!s.transB) {
    const size_t bytes = static_cast<size_t>(rows) * kNnCols * sizeof(float) + staged;
    switch (rows) {
      case 1: return launchKernel(skinnyNnKernel<1>, plan, args, bytes, ctas, a, b, trace, stream);
      case 2: return launchKernel(skinnyNnKernel<2>, plan, args, bytes, ctas, a, b, trace, stream);
      case 4: return launchKernel(skinnyNnKernel<4>, plan, args, bytes, ctas, a, b, trace, stream);
      default: return launchKernel(skinnyNnKernel<8>, plan, args, bytes, ctas, a, b, trace, stream);
    }
  }
  switch (rows) {
    case 1: return launchKernel(skinnyNtKernel<1, 4>, plan, args, staged, ctas, a, b, trace, stream);
    case 2: return launchKernel(skinnyNtKernel<2, 4>, plan, args, staged, ctas, a, b, trace, stream);
    case 4: return launchKernel(skinnyNtKernel<4, 4>, plan, args, staged, ctas, a, b, trace, stream);
    case 8: return launchKernel(skinnyNtKernel<8, 4>, plan, args, staged, ctas, a, b, trace, stream);
    case 16: return launchKernel(skinnyNtKernel<16, 4>, plan, args, staged, ctas, a, b, trace, stream);
    case 32: return launchKernel(skinnyNtKernel<32, 2>, plan, args, staged, ctas, a, b, trace, stream);
    default: return launchKernel(skinnyNtKernel<64, 1>, plan, args, staged, ctas, a, b, trace, stream);
  }
}

}  // namespace gemm
}  // namespace gsm
