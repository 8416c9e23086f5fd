// conv: forward 2-D convolution (cross-correlation, as in every ML framework) as an implicit GEMM on
// the tensor cores, bf16 operands, fp32 accumulation, bf16 output.
//   x: [n, h, w, c] (NHWC)   w: [k, r, s, c] (KRSC)   y: [n, p, q, k] (NHWK)
//   p = (h + 2 pad - r) / stride + 1, q likewise.
// As a GEMM: y[m, kOut] = sum over kk of A[m, kk] * W[kOut, kk], with m = (n, p, q) the output pixel
// (M = n p q rows), kk = (r, s, c) (K = r s c, contiguous in both x and w) and A the input patch
// that output pixel sees, gathered on the fly (im2col never materialised).
//
// Each CTA computes a BM x BN tile of y with warps of 64 x 64 (or 64 x 32); K is walked in slices of
// BK = 32 through a STAGES-deep ring of shared-memory buffers filled by cp.async, so the loads of
// later slices overlap the mma.sync of the current one. Shared rows are XOR-swizzled by 16-byte chunk
// so that ldmatrix reads them without bank conflicts. Pixels outside the image (padding), rows past
// M, columns past k and kk past K are zero-filled by the copy itself.
//
// When c is a multiple of 8, every 16-byte chunk of A and W is 8 channels of one (r, s) tap and is
// copied whole (the vector path). Otherwise (e.g. ResNet-50's first layer, c = 3) a planned launch
// (planConv: ConvArgs::gatherRows) first writes A itself, row by row, with K padded to a multiple of
// 8, and W likewise, into the workspace (convGatherKernel), and runs the vector path on them as a 1x1
// convolution; an unplanned one gathers each element inside the tile kernel (the generic path,
// correct but several times slower: its loads cannot be cp.async).
//
// The last step (ConvArgs::epilogue, kernels/conv_epilogue.cuh) may apply an eval-mode batch norm, a
// residual add and a ReLU to the fp32 sums before they are rounded: the tile kernel's instantiations
// with the epilogue do (the plain ones have none of its code), or with split K the adding kernel.
//
// Variants (ConvArgs::variant): 0..4 are this file's mma.sync tiles; 5..8 are the Hopper wgmma tiles
// of kernels/conv_wgmma.cu (128x256, 256x128, 128x128, 256x64; vector path only), used when the device
// runs this build's sm_90a code (ConvArgs::sm90a). By default (-1) a Hopper device with c % 8 == 0 and
// k > 64 gets the wgmma 256x128 tile (chooseVariant says why); a wgmma variant asked for where it
// cannot run falls back to the default mma.sync choice, so the empty (non-sm_90a) kernel body is
// never launched.
#include <climits>
#include <cuda_bf16.h>
#include "conv_epilogue.cuh"
#include "conv_internal.h"
#include "launch.h"
#include "mma.cuh"
#include "split_sum.cuh"
#include "trace.cuh"

namespace gsm {
namespace {

template <int BM_, int BN_, int WM_, int WN_, int STAGES_>
struct Tile {
  static constexpr int BM = BM_, BN = BN_, WM = WM_, WN = WN_, STAGES = STAGES_;
  static constexpr int BK = 32;
  static constexpr int kChunksPerRow = BK / 8;  // 16-byte chunks per shared row (4)
  static constexpr int kWarpsM = BM / WM, kWarpsN = BN / WN;
  static constexpr int kThreads = kWarpsM * kWarpsN * 32;
  static constexpr int kRowsPerPass = kThreads / kChunksPerRow;  // rows one pass of all threads covers
  static constexpr int kPassesA = BM / kRowsPerPass, kPassesB = BN / kRowsPerPass;
  static constexpr int kMi = WM / 16, kNj = WN / 8;  // mma tiles per warp
  static constexpr int kStageElems = (BM + BN) * BK;
  static constexpr size_t kSharedBytes = static_cast<size_t>(STAGES) * kStageElems * 2;
  static_assert(BM % WM == 0 && BN % WN == 0 && WM % 16 == 0 && WN % 16 == 0, "warp tiling");
  static_assert(BM % kRowsPerPass == 0 && BN % kRowsPerPass == 0, "load tiling");
};

// Element offset of (row, 16-byte chunk) in a swizzled shared tile with rows of BK = 32 bf16 (64
// bytes): two rows share one 128-byte line, and the chunk index is XORed with (row / 2) % 4, so the
// 8 rows an ldmatrix reads at one logical chunk land in 8 distinct 16-byte bank groups.
__device__ __forceinline__ int swizzle(int row, int chunk) { return row * 32 + ((chunk ^ ((row >> 1) & 3)) << 3); }

struct Geometry {  // sizes the kernel derives from ConvArgs once
  int m, kTotal, pq;
};

// kEpilogue: the instantiation that applies ConvArgs::epilogue (launched unsplit only); the plain one
// has none of its code (and so the registers it had before the epilogue existed).
template <class T, bool kVector, bool kEpilogue>
__global__ void __launch_bounds__(T::kThreads) convKernel(ConvArgs args, int tilesN, Interval* trace) {
  CtaTrace cta(trace);
  extern __shared__ __align__(128) __nv_bfloat16 smem[];

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int warpM = warp / T::kWarpsN, warpN = warp % T::kWarpsN;
  const int mTile = blockIdx.x / tilesN, nTile = blockIdx.x % tilesN;
  const int slice = blockIdx.y;  // split K (args.splits > 1): this CTA's slice of K
  const int m0 = mTile * T::BM, n0 = nTile * T::BN;
  const int C = args.c, H = args.h, W = args.w, S = args.s, R = args.r;
  const int M = args.n * args.p * args.q;
  const int kTotal = args.r * args.s * args.c;
  const auto* x = reinterpret_cast<const __nv_bfloat16*>(args.x);
  const auto* wt = reinterpret_cast<const __nv_bfloat16*>(args.filter);

  // This thread always copies the same 16-byte chunk column of A and B, in kPassesA / kPassesB rows.
  const int chunk = tid % T::kChunksPerRow;
  const int rowInPass = tid / T::kChunksPerRow;

  // Per A row: the image's base, and the top-left input pixel the output pixel's window starts at.
  const __nv_bfloat16* aBase[T::kPassesA];
  int aH0[T::kPassesA], aW0[T::kPassesA];
#pragma unroll
  for (int i = 0; i < T::kPassesA; ++i) {
    const int m = m0 + rowInPass + i * T::kRowsPerPass;
    if (m < M) {
      const int img = m / (args.p * args.q);
      const int rem = m - img * (args.p * args.q);
      const int op = rem / args.q, oq = rem - op * args.q;
      aBase[i] = x + static_cast<size_t>(img) * H * W * C;
      aH0[i] = op * args.stride - args.pad;
      aW0[i] = oq * args.stride - args.pad;
    } else {
      aBase[i] = x;
      aH0[i] = INT_MIN / 2;  // never inside the image
      aW0[i] = 0;
    }
  }

  // This CTA's slices of K (all of them unless split), and the (r, s, c) of this thread's chunk column
  // in the next slice to load (vector path).
  const int tilesKAll = (kTotal + T::BK - 1) / T::BK;
  const int ktBegin = static_cast<int>(static_cast<long long>(slice) * tilesKAll / args.splits);
  const int tilesK = static_cast<int>(static_cast<long long>(slice + 1) * tilesKAll / args.splits) - ktBegin;
  int kk = ktBegin * T::BK + chunk * 8;
  int tapR = 0, tapS = 0, chan = 0;
  if (kVector) {
    const int rs = kk / C;
    chan = kk - rs * C;
    tapR = rs / S;
    tapS = rs - tapR * S;
  }

  auto loadSlice = [&](int stage) {
    __nv_bfloat16* sA = smem + stage * T::kStageElems;
    __nv_bfloat16* sB = sA + T::BM * T::BK;
    if (kVector) {
      const bool kIn = tapR < R;  // kk < kTotal
#pragma unroll
      for (int i = 0; i < T::kPassesA; ++i) {
        const int row = rowInPass + i * T::kRowsPerPass;
        const int ih = aH0[i] + tapR, iw = aW0[i] + tapS;
        const bool valid = kIn && static_cast<unsigned>(ih) < static_cast<unsigned>(H) &&
                           static_cast<unsigned>(iw) < static_cast<unsigned>(W);
        const __nv_bfloat16* src = valid ? aBase[i] + (static_cast<size_t>(ih) * W + iw) * C + chan : x;
        mma::copy16(mma::sharedAddress(sA + swizzle(row, chunk)), src, valid);
      }
#pragma unroll
      for (int i = 0; i < T::kPassesB; ++i) {
        const int row = rowInPass + i * T::kRowsPerPass;
        const int kOut = n0 + row;
        const bool valid = kIn && kOut < args.k;
        const __nv_bfloat16* src = valid ? wt + static_cast<size_t>(kOut) * kTotal + kk : wt;
        mma::copy16(mma::sharedAddress(sB + swizzle(row, chunk)), src, valid);
      }
      // Advance this chunk column by one slice of K.
      kk += T::BK;
      chan += T::BK;
      while (chan >= C) {
        chan -= C;
        if (++tapS == S) {
          tapS = 0;
          ++tapR;
        }
      }
    } else {
#pragma unroll
      for (int i = 0; i < T::kPassesA; ++i) {
        const int row = rowInPass + i * T::kRowsPerPass;
        __nv_bfloat16* dst = sA + swizzle(row, chunk);
#pragma unroll
        for (int e = 0; e < 8; ++e) {
          const int k1 = kk + e;
          __nv_bfloat16 v = __float2bfloat16(0.0f);
          if (k1 < kTotal) {
            const int rs = k1 / C, ch = k1 - rs * C;
            const int r = rs / S, s = rs - r * S;
            const int ih = aH0[i] + r, iw = aW0[i] + s;
            if (static_cast<unsigned>(ih) < static_cast<unsigned>(H) &&
                static_cast<unsigned>(iw) < static_cast<unsigned>(W)) {
              v = aBase[i][(static_cast<size_t>(ih) * W + iw) * C + ch];
            }
          }
          dst[e] = v;
        }
      }
#pragma unroll
      for (int i = 0; i < T::kPassesB; ++i) {
        const int row = rowInPass + i * T::kRowsPerPass;
        const int kOut = n0 + row;
        __nv_bfloat16* dst = sB + swizzle(row, chunk);
#pragma unroll
        for (int e = 0; e < 8; ++e) {
          const int k1 = kk + e;
          dst[e] =
              (kOut < args.k && k1 < kTotal) ? wt[static_cast<size_t>(kOut) * kTotal + k1] : __float2bfloat16(0.0f);
        }
      }
      kk += T::BK;
    }
  };

  float acc[T::kMi][T::kNj][4];
#pragma unroll
  for (int i = 0; i < T::kMi; ++i)
#pragma unroll
    for (int j = 0; j < T::kNj; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;

  // Prologue: the first STAGES - 1 slices in flight (a group is committed even when empty, so
  // that wait<STAGES - 2> below always means "slice kt has landed").
#pragma unroll
  for (int s = 0; s < T::STAGES - 1; ++s) {
    if (s < tilesK) loadSlice(s);
    mma::commit();
  }

  for (int kt = 0; kt < tilesK; ++kt) {
    mma::wait<T::STAGES - 2>();
    __syncthreads();  // slice kt visible to all; every warp is done with the stage refilled next
    const int next = kt + T::STAGES - 1;
    if (next < tilesK) loadSlice(next % T::STAGES);
    mma::commit();

    const __nv_bfloat16* sA = smem + (kt % T::STAGES) * T::kStageElems;
    const __nv_bfloat16* sB = sA + T::BM * T::BK;
#pragma unroll
    for (int ks = 0; ks < T::BK / 16; ++ks) {
      uint32_t a[T::kMi][4];
      uint32_t b[T::kNj][2];
#pragma unroll
      for (int i = 0; i < T::kMi; ++i) {
        const int row = warpM * T::WM + i * 16 + (lane & 15);
        mma::ldmatrix4(a[i], mma::sharedAddress(sA + swizzle(row, ks * 2 + (lane >> 4))));
      }
#pragma unroll
      for (int j = 0; j < T::kNj / 2; ++j) {
        const int row = warpN * T::WN + j * 16 + (lane & 7) + ((lane >> 4) << 3);
        uint32_t r[4];
        mma::ldmatrix4(r, mma::sharedAddress(sB + swizzle(row, ks * 2 + ((lane >> 3) & 1))));
        b[2 * j][0] = r[0];
        b[2 * j][1] = r[1];
        b[2 * j + 1][0] = r[2];
        b[2 * j + 1][1] = r[3];
      }
#pragma unroll
      for (int i = 0; i < T::kMi; ++i)
#pragma unroll
        for (int j = 0; j < T::kNj; ++j) mma::mmaBf16(acc[i][j], a[i], b[j][0], b[j][1]);
    }
  }
  mma::wait<0>();  // no copy may still target shared memory when the CTA exits

  // Epilogue: with split K, this slice's fp32 partial [slice][m][k] for convSplitSumKernel; else the
  // sums through ConvArgs::epilogue (conv_epilogue.cuh: every accumulator in place, then the stores),
  // rounded to bf16 and stored straight from the accumulators in pairs of columns.
  auto* y = reinterpret_cast<__nv_bfloat16*>(args.y);
  const int K = args.k;
  const bool pairs = (K % 2) == 0;
  const int g = lane >> 2, t = lane & 3;
  const int rowBase = m0 + warpM * T::WM + g, colBase = n0 + warpN * T::WN + 2 * t;
  if (kEpilogue) {
    // Pair (j, r): columns colBase + 8 j, rows of mma tile r / 2, half r % 2.
    conv::applyEpilogue<T::kNj, 2 * T::kMi>(
        args.epilogue, M, K, [&](int j) { return colBase + j * 8; },
        [&](int r) { return rowBase + (r / 2) * 16 + (r % 2) * 8; },
        [&](int j, int r, int h) -> float& { return acc[r / 2][j][(r % 2) * 2 + h]; });
  }
#pragma unroll
  for (int i = 0; i < T::kMi; ++i) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int m = rowBase + i * 16 + half * 8;
      if (m >= M) continue;
      float* partialRow =
          args.splits > 1 ? static_cast<float*>(args.workspace) + (static_cast<size_t>(slice) * M + m) * K : nullptr;
#pragma unroll
      for (int j = 0; j < T::kNj; ++j) {
        const int col = colBase + j * 8;
        const float v0 = acc[i][j][half * 2], v1 = acc[i][j][half * 2 + 1];
        if (args.splits > 1) {
          if (pairs && col + 1 < K) {
            *reinterpret_cast<float2*>(partialRow + col) = make_float2(v0, v1);
          } else {
            if (col < K) partialRow[col] = v0;
            if (col + 1 < K) partialRow[col + 1] = v1;
          }
        } else {
          conv::storePair(y, static_cast<size_t>(m) * K + col, col, K, v0, v1);
        }
      }
    }
  }
  cta.end();
}

// The tile shapes this file instantiates, by index (ConvArgs::variant).
using Tile0 = Tile<128, 128, 64, 64, 4>;  // 4 warps, 64 KB of shared memory
using Tile1 = Tile<256, 64, 64, 64, 4>;   // 4 warps, for k <= 64
using Tile2 = Tile<128, 256, 64, 64, 3>;  // 8 warps
using Tile3 = Tile<256, 128, 64, 64, 3>;  // 8 warps
using Tile4 = Tile<128, 64, 64, 32, 4>;   // 4 warps, small tiles for small problems
constexpr int kMmaVariants = 5;
constexpr int kVariants = kMmaVariants + conv::kWgmmaVariants;  // then the wgmma tiles (conv_wgmma.cu)

template <class T>
int ctaCount(const ConvArgs& a) {
  const long long m = static_cast<long long>(a.n) * a.p * a.q;
  return static_cast<int>(((m + T::BM - 1) / T::BM) * ((a.k + T::BN - 1) / T::BN));
}

// Both instantiations (with and without the epilogue): a launch may use either.
template <class T, bool kVector>
cudaError_t configureTile() {
  const cudaError_t e = cudaFuncSetAttribute(convKernel<T, kVector, false>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                             static_cast<int>(T::kSharedBytes));
  if (e != cudaSuccess) return e;
  return cudaFuncSetAttribute(convKernel<T, kVector, true>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                              static_cast<int>(T::kSharedBytes));
}

// Split K's second kernel: y[m][k] = bf16(epilogue(sum over the slices of partials[slice][m][k],
// split_sum.cuh)); a thread takes two adjacent channels (grid-stride over args.sumCtas CTAs: planConv
// gives one thread per pair).
constexpr int kSumThreads = 256;
__global__ void __launch_bounds__(kSumThreads) convSplitSumKernel(ConvArgs args, Interval* trace) {
  CtaTrace cta(trace);
  const int K = args.k, pairsPerRow = (K + 1) / 2;
  const long long M = static_cast<long long>(args.n) * args.p * args.q;
  const long long pairs = M * pairsPerRow;
  const size_t slice = static_cast<size_t>(M) * K;
  auto* y = reinterpret_cast<__nv_bfloat16*>(args.y);
  const auto* partials = static_cast<const float*>(args.workspace);
  for (long long index = static_cast<long long>(blockIdx.x) * kSumThreads + threadIdx.x; index < pairs;
       index += static_cast<long long>(gridDim.x) * kSumThreads) {
    const long long m = index / pairsPerRow;
    const int col = 2 * static_cast<int>(index - m * pairsPerRow);
    const size_t at = static_cast<size_t>(m) * K + col;
    const bool two = col + 1 < K;
    const conv::PairOperands operands =
        conv::loadPairOperands(args.epilogue, static_cast<int>(m), col, static_cast<int>(M), K);
    float2 sum = sumSlicePair(partials + at, slice, args.splits, two, K % 2 == 0);
    sum = conv::applyPairOperands(args.epilogue, operands, sum.x, sum.y);
    conv::storePair(y, at, col, K, sum.x, sum.y);
  }
  cta.end();
}

template <class T, bool kVector>
cudaError_t launchTile(const ConvArgs& a, Interval* trace, cudaStream_t stream) {
  const int tilesN = (a.k + T::BN - 1) / T::BN;
  const int ctas = ctaCount<T>(a);
  if (a.splits <= 1) {
    if (conv::hasEpilogue(a.epilogue)) {
      convKernel<T, kVector, true><<<ctas, T::kThreads, T::kSharedBytes, stream>>>(a, tilesN, trace);
    } else {
      convKernel<T, kVector, false><<<ctas, T::kThreads, T::kSharedBytes, stream>>>(a, tilesN, trace);
    }
    return cudaGetLastError();
  }
  convKernel<T, kVector, false><<<dim3(ctas, a.splits), T::kThreads, T::kSharedBytes, stream>>>(a, tilesN, trace);
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return e;
  convSplitSumKernel<<<a.sumCtas, kSumThreads, 0, stream>>>(a, trace != nullptr ? trace + ctas * a.splits : nullptr);
  return cudaGetLastError();
}

// ---- the gather (c % 8 != 0, planned: ConvArgs::gatherRows) ----
constexpr int kGatherThreads = 256;
constexpr int kGatherCtasMax = 1024;
// A chunk's patches stay within 16 MiB of workspace (the models' scratch allowance is 64 MiB): 55k
// output pixels of ResNet-50's stem (7 x 7 x 3 -> K 152), so its batch 1 is one chunk, batch 32 eight.
constexpr size_t kGatherBytes = size_t{16} << 20;

long long outputPixels(const ConvArgs& a) { return static_cast<long long>(a.n) * a.p * a.q; }
int gatherK(const ConvArgs& a) { return (a.r * a.s * a.c + 7) / 8 * 8; }

// The CTAs of one chunk's gather kernel: `rows` patches, and the filter with the first chunk.
int gatherCtas(const ConvArgs& a, int rows, bool filter) {
  const long long chunks = (static_cast<long long>(rows) + (filter ? a.k : 0)) * (gatherK(a) / 8);
  const long long ctas = (chunks + kGatherThreads - 1) / kGatherThreads;
  return static_cast<int>(ctas < kGatherCtasMax ? ctas : kGatherCtasMax);
}

// The 1x1 convolution that computes output pixels row0 .. row0 + rows - 1 from the gathered patches
// (the workspace: the padded filter [k][kp], then the patches [rows][kp]), as one image of one row.
ConvArgs gatherGemm(const ConvArgs& a, long long row0, int rows) {
  ConvArgs g = a;
  const int kp = gatherK(a);
  g.n = 1, g.c = kp, g.h = 1, g.w = rows, g.r = 1, g.s = 1, g.stride = 1, g.pad = 0, g.p = 1, g.q = rows;
  auto* filter = static_cast<uint16_t*>(a.workspace);
  g.filter = filter;
  g.x = filter != nullptr ? filter + static_cast<size_t>(a.k) * kp : nullptr;
  g.y = a.y + row0 * a.k;
  if (a.epilogue.residual != nullptr) g.epilogue.residual = a.epilogue.residual + row0 * a.k;
  g.splits = 1, g.sumCtas = 0, g.gatherRows = 0, g.workspace = nullptr;
  return g;
}

// Writes the patches of output pixels row0 .. row0 + rows - 1 ((r, s, c) order as the filter's; zero
// outside the image and from K to kp) after the padded filter in the workspace, and with `filter` the
// filter itself, padded likewise; a thread writes 8 elements (16 bytes) of one row at a time.
__global__ void __launch_bounds__(kGatherThreads)
    convGatherKernel(ConvArgs args, long long row0, int rows, bool filter, Interval* trace) {
  CtaTrace cta(trace);
  const int C = args.c, S = args.s, H = args.h, W = args.w, K = args.r * args.s * args.c;
  const int kp = (K + 7) / 8 * 8, chunksPerRow = kp / 8, pq = args.p * args.q;
  const auto* x = reinterpret_cast<const __nv_bfloat16*>(args.x);
  const auto* wt = reinterpret_cast<const __nv_bfloat16*>(args.filter);
  auto* wOut = static_cast<__nv_bfloat16*>(args.workspace);
  auto* aOut = wOut + static_cast<size_t>(args.k) * kp;
  const long long aChunks = static_cast<long long>(rows) * chunksPerRow;
  const long long total = aChunks + (filter ? static_cast<long long>(args.k) * chunksPerRow : 0);
  for (long long i = static_cast<long long>(blockIdx.x) * kGatherThreads + threadIdx.x; i < total;
       i += static_cast<long long>(gridDim.x) * kGatherThreads) {
    alignas(16) __nv_bfloat16 v[8];
    __nv_bfloat16* out;
    if (i < aChunks) {
      const int row = static_cast<int>(i / chunksPerRow);
      const int kk0 = static_cast<int>(i - static_cast<long long>(row) * chunksPerRow) * 8;
      const long long m = row0 + row;
      const int img = static_cast<int>(m / pq), rem = static_cast<int>(m - static_cast<long long>(img) * pq);
      const int op = rem / args.q, oq = rem - op * args.q;
      const int h0 = op * args.stride - args.pad, w0 = oq * args.stride - args.pad;
      const __nv_bfloat16* image = x + static_cast<size_t>(img) * H * W * C;
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        const int kk = kk0 + e;
        __nv_bfloat16 value = __float2bfloat16(0.0f);
        if (kk < K) {
          const int rs = kk / C, ch = kk - rs * C;
          const int r = rs / S, s = rs - r * S;
          const int ih = h0 + r, iw = w0 + s;
          if (static_cast<unsigned>(ih) < static_cast<unsigned>(H) &&
              static_cast<unsigned>(iw) < static_cast<unsigned>(W)) {
            value = image[(static_cast<size_t>(ih) * W + iw) * C + ch];
          }
        }
        v[e] = value;
      }
      out = aOut + static_cast<size_t>(row) * kp + kk0;
    } else {
      const long long j = i - aChunks;
      const int kOut = static_cast<int>(j / chunksPerRow);
      const int kk0 = static_cast<int>(j - static_cast<long long>(kOut) * chunksPerRow) * 8;
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        const int kk = kk0 + e;
        v[e] = kk < K ? wt[static_cast<size_t>(kOut) * K + kk] : __float2bfloat16(0.0f);
      }
      out = wOut + static_cast<size_t>(kOut) * kp + kk0;
    }
    *reinterpret_cast<uint4*>(out) = *reinterpret_cast<const uint4*>(v);
  }
  cta.end();
}

// Chunk by chunk: gather, then the 1x1 convolution (whose tile planConv chose: ConvArgs::variant).
cudaError_t launchGathered(const ConvArgs& a, Interval* trace, cudaStream_t stream) {
  const long long m = outputPixels(a);
  for (long long row0 = 0; row0 < m; row0 += a.gatherRows) {
    const int rows = static_cast<int>(m - row0 < a.gatherRows ? m - row0 : a.gatherRows);
    const bool filter = row0 == 0;
    const int ctas = gatherCtas(a, rows, filter);
    convGatherKernel<<<ctas, kGatherThreads, 0, stream>>>(a, row0, rows, filter, trace);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    if (trace != nullptr) trace += ctas;
    const ConvArgs g = gatherGemm(a, row0, rows);
    e = launchConvBf16(g, trace, stream);
    if (e != cudaSuccess) return e;
    if (trace != nullptr) trace += convCtaCount(g);
  }
  return cudaSuccess;
}

// The variant a launch uses: the one asked for, else by shape (narrow k -> tall tiles). A wgmma
// variant (kMmaVariants and up) only where the device runs sm_90a code and c % 8 == 0.
int chooseVariant(const ConvArgs& a) {
  if (a.c % 8 != 0) return 0;  // the generic path exists for tile 0 only
  if (a.splits > 1) return 4;  // split K runs on the 128x64 tile (planConv)
  const bool hopper = a.sm90a;
  if (a.variant >= 0 && a.variant < kMmaVariants) return a.variant;
  if (hopper && a.variant >= kMmaVariants && a.variant < kVariants) return a.variant;
  // Measured on the H200 (2026-11-30, ResNet-50's 3x3 layers): for k <= 64 the mma.sync 256x64 tile
  // (0.273 ms at 56x56x64, against 0.347 for the best wgmma tile: the gather of one tap per slice
  // limits the producer); above, the wgmma 256x128 tile (14x14x256: 0.170 ms against 0.196 for the
  // best mma.sync tile; 7x7x512: 0.197, level with 128x256).
  if (a.k <= 64) return 1;
  if (hopper) return kMmaVariants + 1;
  return 0;
}

}  // namespace

int convOutputSize(int input, int filter, int stride, int pad) { return (input + 2 * pad - filter) / stride + 1; }

int convVariantCount() { return kVariants; }

// The wgmma kernel is persistent and records each output tile it computes (conv_wgmma.cu), so its
// trace records per launch are its tiles; the mma.sync kernels record each CTA (one tile each).
int convCtaCount(const ConvArgs& a) {
  if (a.c % 8 != 0 && a.gatherRows > 0) {
    long long records = 0;
    const long long m = outputPixels(a);
    for (long long row0 = 0; row0 < m; row0 += a.gatherRows) {
      const int rows = static_cast<int>(m - row0 < a.gatherRows ? m - row0 : a.gatherRows);
      records += gatherCtas(a, rows, row0 == 0) + convCtaCount(gatherGemm(a, row0, rows));
    }
    return static_cast<int>(records);
  }
  if (a.splits > 1 && a.c % 8 == 0) return ctaCount<Tile4>(a) * a.splits + a.sumCtas;
  const int v = chooseVariant(a);
  if (v >= kMmaVariants) return conv::wgmmaTileCount(a, v - kMmaVariants);
  switch (v) {
    case 1: return ctaCount<Tile1>(a);
    case 2: return ctaCount<Tile2>(a);
    case 3: return ctaCount<Tile3>(a);
    case 4: return ctaCount<Tile4>(a);
    default: return ctaCount<Tile0>(a);
  }
}

// Small channel counts (c % 8 != 0): the gather, in chunks of at most kGatherBytes of patches; the 1x1
// convolution on the 128x64 tile where the default tile would fill less than half the SMs and that
// one has more CTAs (the stem at batch 1: 98 CTAs against 49).
// Otherwise split K where the default tiles would fill less than half the SMs: the 128x64 tile's CTAs
// times the slices fill most of them, each slice at least 4 of the 32-deep slices of K (so the partials
// stay small next to the work), at most 16 slices. A split of fewer than 4 slices does not pay for
// its second kernel; there the 128x64 tile runs unsplit if it has more CTAs than the default tile
// (ResNet-50's 1x1 convolutions at batch 1, measured on the H200: cudnn_conv_check bench).
void planConv(ConvArgs* a, int sms) {
  a->splits = 1;
  a->sumCtas = 0;
  a->gatherRows = 0;
  if (a->c % 8 != 0) {
    const long long m = outputPixels(*a);
    long long cap = static_cast<long long>(kGatherBytes / (static_cast<size_t>(gatherK(*a)) * 2)) / 256 * 256;
    if (cap < 256) cap = 256;
    a->gatherRows = static_cast<int>(m < cap ? m : cap);
    if (sms > 0 && a->variant < 0) {
      const ConvArgs g = gatherGemm(*a, 0, a->gatherRows);
      const int tiles = convCtaCount(g);
      if (tiles * 2 <= sms && ctaCount<Tile4>(g) > tiles) a->variant = 4;
    }
    return;
  }
  if (sms <= 0) return;
  const int tiles = convCtaCount(*a);  // the default tiles (splits is 1 here)
  if (tiles * 2 > sms) return;
  const int tiles4 = ctaCount<Tile4>(*a);
  const int slices = (a->r * a->s * a->c + Tile4::BK - 1) / Tile4::BK;
  int splits = sms / tiles4;
  if (splits > slices / 4) splits = slices / 4;
  if (splits > 16) splits = 16;
  if (splits < 4) {
    if (a->variant < 0 && tiles4 > tiles) a->variant = 4;
    return;
  }
  a->splits = splits;
  // A thread per pair of channels, so that its loads (the slices, the epilogue's operands) make one
  // round trip: over at most one CTA per SM, a thread's next pair waited for its store before its
  // loads (on the H200 the adding kernel took 3.8 us with the inference epilogue, 2.3 us without).
  const long long pairs = outputPixels(*a) * ((a->k + 1) / 2);
  a->sumCtas = static_cast<int>((pairs + kSumThreads - 1) / kSumThreads);
}

size_t convWorkspaceBytes(const ConvArgs& a) {
  if (a.c % 8 != 0) {
    return a.gatherRows > 0 ? (static_cast<size_t>(a.k) + a.gatherRows) * gatherK(a) * sizeof(uint16_t) : 0;
  }
  return a.splits > 1 ? static_cast<size_t>(a.splits) * outputPixels(a) * a.k * sizeof(float) : 0;
}

cudaError_t configureConv(const ConvArgs& a) {
  if (a.c % 8 != 0 && a.gatherRows > 0) return configureConv(gatherGemm(a, 0, a.gatherRows));
  if (a.c % 8 != 0) return configureTile<Tile0, false>();
  const int v = chooseVariant(a);
  if (v >= kMmaVariants) return conv::configureWgmma(v - kMmaVariants);
  switch (v) {
    case 1: return configureTile<Tile1, true>();
    case 2: return configureTile<Tile2, true>();
    case 3: return configureTile<Tile3, true>();
    case 4: return configureTile<Tile4, true>();
    default: return configureTile<Tile0, true>();
  }
}

cudaError_t launchConvBf16(const ConvArgs& a, Interval* trace, cudaStream_t stream) {
  if (a.c % 8 != 0 && a.gatherRows > 0) return launchGathered(a, trace, stream);
  if (a.c % 8 != 0) return launchTile<Tile0, false>(a, trace, stream);
  const int v = chooseVariant(a);
  if (v >= kMmaVariants) return conv::launchWgmma(a, v - kMmaVariants, trace, stream);
  switch (v) {
    case 1: return launchTile<Tile1, true>(a, trace, stream);
    case 2: return launchTile<Tile2, true>(a, trace, stream);
    case 3: return launchTile<Tile3, true>(a, trace, stream);
    case 4: return launchTile<Tile4, true>(a, trace, stream);
    default: return launchTile<Tile0, true>(a, trace, stream);
  }
}

}  // namespace gsm
