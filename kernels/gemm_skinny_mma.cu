// The tensor-core form of the skinny gemm (kernels/gemm_skinny.cu holds the FFMA form and the
// dispatch): y = x W^T with B^T = W stored [n, k] (transB), few rows of op(A) (m <= kSkinnyMaxM),
// bf16, fp32 accumulation. With 8 or more rows of A the FFMA form does more arithmetic per byte of
// W than the SM's FP32 pipes finish at DRAM speed; here mma.sync does it and the kernel is left
// with streaming W.
//
// The product is computed transposed, C^T = W op(A)^T, so that the operands fit mma.m16n8k16's
// fragments as stored: 16 rows of W are the A operand (row-major, K contiguous: W's rows) and 8
// rows of op(A) are the B operand (its "col" layout is K contiguous per column: op(A)'s rows).
// Fragments (PTX ISA, "Matrix fragments for mma.m16n8k16", see kernels/mma.cuh), lane = 4 g + t:
//   A operand: a0 = W[g][2t, 2t+1], a1 = W[g+8][2t, 2t+1], a2 = W[g][2t+8, 2t+9], a3 = W[g+8][2t+8, 2t+9]
//   B operand: b0 = op(A)[g][2t, 2t+1], b1 = op(A)[g][2t+8, 2t+9]
//   result:    c0, c1 = C^T[g][2t, 2t+1], c2, c3 = C^T[g+8][2t, 2t+1], i.e. C[2t (+1)][g (+8)]
// A dot product does not care about the order of k, so k is permuted alike in both operands: in
// each block of 32 k, lane (g, t) loads the 16 bytes W[g][8t .. 8t+7] and W[g+8][8t .. 8t+7] (one
// 128-bit load each) and op(A)[g][8t .. 8t+7]; their first halves (k 8t .. 8t+3) stand for the
// logical k {2t, 2t+1, 2t+8, 2t+9} of the block's first mma, the second halves for those of the
// second. Every logical k of both mma is covered once (t = 0..3), and W and op(A) agree on it.
//
// Geometry: a CTA of 8 warps owns 16 kR rows of W (columns of C; kR m16 tiles, 2 when m > 16 so
// that each load of op(A) feeds twice as many mma) and all of K; its warps split K into slabs of
// 32 kU (slab s to warp s % 8; k's tail, a multiple of 8, in a last partial slab with per-lane
// predicates), so n = 4096 still gives 256 CTAs (m <= 16; 128 with kR = 2) of 8 warps with 16-byte
// loads in flight, kU blocks of 32 k unrolled per warp (2 kR kU loads of W per lane at once). Each warp covers all m rows of op(A) as kNT n8 tiles. W is read
// once from DRAM and not kept in L1 (ld.global.nc.L1::no_allocate); op(A) (m x k bf16, small) is
// read through L1 by every warp that needs it (__ldg), 16 bytes a lane where op(A) = A has 16-byte
// readable rows, element by element otherwise (A^T [k, m], or rows not 16-byte aligned: correct, slower).
// Rows of W past n are clamped to row n - 1 and rows of op(A) past m to row m - 1: they compute
// columns and rows of C that are not stored. The 8 warps' partial C^T meet in shared memory (warps
// 4..7 add into 0..3, then every thread sums four slots per element) and the CTA stores C with the
// shared epilogue (two consecutive columns at once). Batches on grid z. One trace record per CTA.
#include <cuda_bf16.h>
#include "gemm_internal.h"
#include "mma.cuh"
#include "trace.cuh"

namespace gsm {
namespace gemm {
namespace {

constexpr int kThreads = 256, kWarps = 8;

// Rows of W per CTA (16 per m16 tile) and the tiles of op(A)'s rows, by m.
int nTiles(int m) {  // n8 tiles covering m rows: 1, 2, 4 or 8
  int t = 1;
  while (t * 8 < m) t *= 2;
  return t;
}
int rowTiles(int m) { return nTiles(m) >= 4 ? 2 : 1; }

struct MmaArgs {
  int m, n, k;
  int64_t strideA, strideB;
  bool transA;
  bool vecA;  // op(A) = A with rows readable in 16-byte pieces
  Epilogue epilogue;
};

// 16 bytes of W: read once, so not allocated in L1 (which keeps op(A) instead).
__device__ __forceinline__ uint4 loadStreaming(const uint16_t* p) {
  uint4 v;
  asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
      : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
      : "l"(p));
  return v;
}

// op(A)[row][kk .. kk+7] as 4 registers of bf16 pairs (the lower k in the low half).
__device__ __forceinline__ uint4 loadA8(const uint16_t* a, const MmaArgs& p, int row, int kk) {
  if (p.vecA) return __ldg(reinterpret_cast<const uint4*>(a + static_cast<size_t>(row) * p.k + kk));
  uint32_t w[4];
#pragma unroll
  for (int e = 0; e < 4; ++e) {
    const int k0 = kk + 2 * e;
    const size_t i0 = p.transA ? static_cast<size_t>(k0) * p.m + row : static_cast<size_t>(row) * p.k + k0;
    const size_t i1 = p.transA ? i0 + p.m : i0 + 1;
    w[e] = static_cast<uint32_t>(__ldg(a + i0)) | (static_cast<uint32_t>(__ldg(a + i1)) << 16);
  }
  return make_uint4(w[0], w[1], w[2], w[3]);
}

// One slab: kU blocks of 32 k from k0. kTail: k may end inside the slab (lanes past it add zeros).
template <int kNT, int kR, int kU, bool kTail>
__device__ __forceinline__ void accumulateSlab(float (&acc)[kR][kNT][4], const uint16_t* const (&w)[kR][2],
                                               const uint16_t* a, const MmaArgs& p, int g, int t, int k0) {
  uint4 wv[kU][kR][2];
#pragma unroll
  for (int u = 0; u < kU; ++u) {  // every load of W first: kU * kR * 2 16-byte loads in flight per lane
    const int kk = k0 + 32 * u + 8 * t;
#pragma unroll
    for (int r = 0; r < kR; ++r)
#pragma unroll
      for (int h = 0; h < 2; ++h)
        wv[u][r][h] = !kTail || kk < p.k ? loadStreaming(w[r][h] + kk) : make_uint4(0, 0, 0, 0);
  }
#pragma unroll
  for (int u = 0; u < kU; ++u) {
    const int kk = k0 + 32 * u + 8 * t;
    if (kTail && k0 + 32 * u >= p.k) break;  // warp-uniform: no lane has k left
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt) {
      const uint4 av = !kTail || kk < p.k ? loadA8(a, p, min(nt * 8 + g, p.m - 1), kk) : make_uint4(0, 0, 0, 0);
#pragma unroll
      for (int r = 0; r < kR; ++r) {
        const uint32_t first[4] = {wv[u][r][0].x, wv[u][r][1].x, wv[u][r][0].y, wv[u][r][1].y};
        const uint32_t second[4] = {wv[u][r][0].z, wv[u][r][1].z, wv[u][r][0].w, wv[u][r][1].w};
        mma::mmaBf16(acc[r][nt], first, av.x, av.y);
        mma::mmaBf16(acc[r][nt], second, av.z, av.w);
      }
    }
  }
}

// Two CTAs per SM (at most 128 registers) but for m > 32, whose 64 accumulators per lane need more.
template <int kNT, int kR>
__global__ void __launch_bounds__(kThreads, kNT* kR >= 16 ? 1 : 2)
    skinnyMmaKernel(const uint16_t* __restrict__ a, const uint16_t* __restrict__ b, const MmaArgs p, Interval* trace) {
  constexpr int kU = kR == 1 ? 4 : 2;  // blocks of 32 k per slab (loads of W per lane: 2 kR kU)
  constexpr int kSlab = 32 * kU;
  constexpr int kFrag = kR * kNT * 4;  // accumulators per lane
  __shared__ float partial[4][kFrag][32];
  CtaTrace cta(trace);
  const int z = blockIdx.z, m = p.m, n = p.n, k = p.k;
  a += static_cast<size_t>(z) * p.strideA;
  b += static_cast<size_t>(z) * p.strideB;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const int row0 = blockIdx.x * 16 * kR;  // first row of W (column of C) of this CTA

  const uint16_t* w[kR][2];  // this lane's rows of W, from its first k
#pragma unroll
  for (int r = 0; r < kR; ++r)
#pragma unroll
    for (int h = 0; h < 2; ++h) w[r][h] = b + static_cast<size_t>(min(row0 + 16 * r + 8 * h + g, n - 1)) * k;
  float acc[kR][kNT][4];
#pragma unroll
  for (int r = 0; r < kR; ++r)
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[r][nt][e] = 0.0f;

  const int fullSlabs = k / kSlab;
  for (int s = warp; s < fullSlabs; s += kWarps) accumulateSlab<kNT, kR, kU, false>(acc, w, a, p, g, t, s * kSlab);
  if (fullSlabs * kSlab < k && warp == fullSlabs % kWarps)
    accumulateSlab<kNT, kR, kU, true>(acc, w, a, p, g, t, fullSlabs * kSlab);

  // Warps 4..7 hand their sums to warps 0..3, which add and leave four partial sums in shared memory.
  if (warp >= 4) {
#pragma unroll
    for (int r = 0; r < kR; ++r)
#pragma unroll
      for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) partial[warp - 4][(r * kNT + nt) * 4 + e][lane] = acc[r][nt][e];
  }
  __syncthreads();
  if (warp < 4) {
#pragma unroll
    for (int r = 0; r < kR; ++r)
#pragma unroll
      for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          float& slot = partial[warp][(r * kNT + nt) * 4 + e][lane];
          slot += acc[r][nt][e];
        }
  }
  __syncthreads();
  // C[i][row0 + j], j even, and its neighbour: element (W row j, op(A) row i) of C^T sits in tile
  // (j / 16, i / 8), register (j % 16 >= 8) * 2 + i % 2 of lane 4 (j % 8) + (i % 8) / 2.
  constexpr int kPairs = 8 * kR;  // pairs of columns per row of C
  for (int idx = threadIdx.x; idx < m * kPairs; idx += kThreads) {
    const int i = idx / kPairs, j = 2 * (idx % kPairs);
    if (row0 + j >= n) continue;
    float v[2];
#pragma unroll
    for (int q = 0; q < 2; ++q) {
      const int jj = j + q;
      const int reg = ((jj / 16) * kNT + i / 8) * 4 + ((jj % 16) / 8) * 2 + i % 2;
      const int src = 4 * (jj % 8) + (i % 8) / 2;
      v[q] = partial[0][reg][src] + partial[1][reg][src] + partial[2][reg][src] + partial[3][reg][src];
    }
    storePair(p.epilogue, z, i, row0 + j, n, v[0], v[1]);
  }
  cta.end();
}

template <int kNT, int kR>
cudaError_t launch(const GemmPlan& plan, const MmaArgs& args, const void* a, const void* b, Interval* trace,
                   cudaStream_t stream) {
  if (rowTiles(plan.shape.m) != kR || nTiles(plan.shape.m) != kNT)
    return cudaErrorInvalidValue;  // skinnyMmaCtas agrees
  const dim3 grid(skinnyMmaCtas(plan.shape), 1, plan.shape.batch);
  skinnyMmaKernel<kNT, kR>
      <<<grid, kThreads, 0, stream>>>(static_cast<const uint16_t*>(a), static_cast<const uint16_t*>(b), args, trace);
  return cudaGetLastError();
}

}  // namespace

bool skinnyMmaFits(const GemmShape& s) { return s.transB && s.dtype == GemmDtype::Bf16 && s.m <= kSkinnyMaxM; }

int skinnyMmaCtas(const GemmShape& s) { return ceilDiv(s.n, 16 * rowTiles(s.m)); }

cudaError_t launchSkinnyMma(const GemmPlan& plan, const void* a, const void* b, const Epilogue& out, Interval* trace,
                            cudaStream_t stream) {
  const GemmShape& s = plan.shape;
  if (!skinnyMmaFits(s) || s.k % 8 != 0) return cudaErrorInvalidValue;
  if (reinterpret_cast<uintptr_t>(b) % 16 != 0) return cudaErrorMisalignedAddress;  // 16-byte loads of W
  const Strides st = batchStrides(s);
  MmaArgs args{};
  args.m = s.m;
  args.n = s.n;
  args.k = s.k;
  args.strideA = st.a;
  args.strideB = st.b;
  args.transA = s.transA;
  args.vecA = !s.transA && (s.batch == 1 || st.a % 8 == 0) && reinterpret_cast<uintptr_t>(a) % 16 == 0;
  args.epilogue = out;
  switch (nTiles(s.m)) {
    case 1: return launch<1, 1>(plan, args, a, b, trace, stream);
    case 2: return launch<2, 1>(plan, args, a, b, trace, stream);
    case 4: return launch<4, 2>(plan, args, a, b, trace, stream);
    default: return launch<8, 2>(plan, args, a, b, trace, stream);
  }
}

}  // namespace gemm
}  // namespace gsm
