// attention: the fused forward pass O = softmax(Q K^T * scale) V of scaled dot-product attention,
// bf16 Q, K, V and O of shape [batch, heads, seq, headDim], fp32 accumulation, optionally causal
// (query i sees keys 0..i). The flash-attention scheme: the score matrix never reaches memory.
//
// Each CTA owns 128 query rows of one (batch, head): 4 warps of 32 rows each (by default). Its Q tile stays in
// shared memory; K and V are streamed through in blocks of BN keys, each copied with cp.async
// while the tensor cores work on the other (V_j lands while S = Q K_j^T is computed, K_{j+1} while
// O += P V_j is). Per row it keeps the running maximum and sum of the softmax (the online softmax,
// in base 2 with the scale folded in), rescales the O accumulators when the maximum grows, and
// divides by the sum at the end. P goes from the S accumulators straight into the A fragments of
// the second mma (the fragment layouts match), never through shared memory.
//
// Keys past `seq` and, when causal, keys after the query are masked to -inf; query rows past `seq`
// are computed on zeros and not stored. CTAs are ordered heaviest first (for causal, the last query
// blocks see the most keys).
//
// On Hopper (args.sm90a: the device runs this build's sm_90a code) the default is the wgmma kernel
// of kernels/attention_wgmma.cu (a producer warpgroup streaming K and V through mbarriers, two
// consumer warpgroups of 64 rows issuing wgmma, taking turns on the tensor cores: variant 6, the
// fastest measured on the H200, 2026-11-30); variants 4, 5 and 6 select it explicitly, and where
// sm_90a code does not run they fall back to this file's default (variant 0).
#include <cmath>
#include <cuda_bf16.h>
#include "attention_internal.h"
#include "launch.h"
#include "mma.cuh"
#include "trace.cuh"

namespace gsm {
namespace {

template <int HD_, int BN_, int BM_ = 128, int WARPS_ = 4>
struct AttentionTile {
  static constexpr int HD = HD_, BN = BN_;
  static constexpr int BM = BM_, kWarps = WARPS_, kThreads = kWarps * 32, kRowsPerWarp = BM / kWarps;
  static constexpr int kMi = kRowsPerWarp / 16;  // m16 tiles per warp (2 by default)
  static_assert(kRowsPerWarp % 16 == 0, "warps own whole m16 tiles");
  static constexpr int kChunks = HD / 8;         // 16-byte chunks per row
  static constexpr size_t kSharedBytes = static_cast<size_t>(BM + 2 * BN) * HD * 2;
  static_assert(HD % 64 == 0 && BN % 16 == 0, "tiling");
};

// Element offset of (row, 16-byte chunk) in a shared tile with rows of HD bf16: the chunk index is
// XORed with row % 8, so the 8 rows an ldmatrix reads at one logical chunk hit 8 distinct bank groups.
template <int HD>
__device__ __forceinline__ int swizzle(int row, int chunk) {
  return row * HD + ((chunk ^ (row & 7)) << 3);
}

__device__ __forceinline__ float fastExp2(float x) {  // 2^x; -inf gives +0
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// Copies rows [row0, row0 + rows) of one head's [seq, HD] matrix into a swizzled shared tile;
// rows at or past seq become zeros.
template <class T, int Rows>
__device__ __forceinline__ void loadRows(__nv_bfloat16* dst, const __nv_bfloat16* src, int row0, int seq) {
#pragma unroll
  for (int c = threadIdx.x; c < Rows * T::kChunks; c += T::kThreads) {
    const int row = c / T::kChunks, chunk = c % T::kChunks;
    const bool valid = row0 + row < seq;
    const __nv_bfloat16* from = valid ? src + static_cast<size_t>(row0 + row) * T::HD + chunk * 8 : src;
    mma::copy16(mma::sharedAddress(dst + swizzle<T::HD>(row, chunk)), from, valid);
  }
}

template <class T, bool kCausal>
__global__ void __launch_bounds__(T::kThreads) attentionKernel(AttentionArgs args, Interval* trace) {
  CtaTrace cta(trace);
  extern __shared__ __align__(128) __nv_bfloat16 smem[];
  __nv_bfloat16* sQ = smem;
  __nv_bfloat16* sK = sQ + T::BM * T::HD;
  __nv_bfloat16* sV = sK + T::BN * T::HD;

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, t = lane & 3;
  const int seq = args.seq;
  const int mBlock = gridDim.y - 1 - blockIdx.y;
  const int q0 = mBlock * T::BM;
  const size_t head = static_cast<size_t>(blockIdx.x) * seq * T::HD;
  const auto* q = reinterpret_cast<const __nv_bfloat16*>(args.q) + head;
  const auto* k = reinterpret_cast<const __nv_bfloat16*>(args.k) + head;
  const auto* v = reinterpret_cast<const __nv_bfloat16*>(args.v) + head;
  const attention::OutLayout out = attention::outLayout(args, blockIdx.x, T::HD);
  auto* o = reinterpret_cast<__nv_bfloat16*>(args.o) + out.base;

  const int keysEnd = kCausal ? min(seq, q0 + T::BM) : seq;
  const int blocks = (keysEnd + T::BN - 1) / T::BN;
  const int warpRow0 = q0 + warp * T::kRowsPerWarp;  // first query row of this warp
  const float scaleLog2 = args.scale * 1.4426950408889634f;

  loadRows<T, T::BM>(sQ, q, q0, seq);
  loadRows<T, T::BN>(sK, k, 0, seq);
  mma::commit();

  float acc[T::kMi][T::HD / 8][4];
  float rowMax[T::kMi][2], rowSum[T::kMi][2];
#pragma unroll
  for (int i = 0; i < T::kMi; ++i) {
#pragma unroll
    for (int d = 0; d < T::HD / 8; ++d)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][d][e] = 0.0f;
    rowMax[i][0] = rowMax[i][1] = -INFINITY;
    rowSum[i][0] = rowSum[i][1] = 0.0f;
  }

  for (int j = 0; j < blocks; ++j) {
    const int kv0 = j * T::BN;
    mma::wait<0>();
    __syncthreads();  // K_j (and Q) visible; every warp is done reading V_{j-1}
    loadRows<T, T::BN>(sV, v, kv0, seq);
    mma::commit();

    // S = Q K_j^T for this warp's 32 rows and the block's BN keys.
    float s[T::kMi][T::BN / 8][4];
#pragma unroll
    for (int i = 0; i < T::kMi; ++i)
#pragma unroll
      for (int n = 0; n < T::BN / 8; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e) s[i][n][e] = 0.0f;
#pragma unroll
    for (int ks = 0; ks < T::HD / 16; ++ks) {
      uint32_t a[T::kMi][4];
#pragma unroll
      for (int i = 0; i < T::kMi; ++i) {
        const int row = warp * T::kRowsPerWarp + i * 16 + (lane & 15);
        mma::ldmatrix4(a[i], mma::sharedAddress(sQ + swizzle<T::HD>(row, ks * 2 + (lane >> 4))));
      }
#pragma unroll
      for (int n = 0; n < T::BN / 16; ++n) {
        uint32_t b[4];
        const int row = n * 16 + (lane & 7) + ((lane >> 4) << 3);
        mma::ldmatrix4(b, mma::sharedAddress(sK + swizzle<T::HD>(row, ks * 2 + ((lane >> 3) & 1))));
#pragma unroll
        for (int i = 0; i < T::kMi; ++i) {
          mma::mmaBf16(s[i][2 * n], a[i], b[0], b[1]);
          mma::mmaBf16(s[i][2 * n + 1], a[i], b[2], b[3]);
        }
      }
    }

    // Mask keys past the sequence and, when causal, keys after the query.
    if (kv0 + T::BN > seq || (kCausal && kv0 + T::BN - 1 > warpRow0)) {
#pragma unroll
      for (int i = 0; i < T::kMi; ++i)
#pragma unroll
        for (int n = 0; n < T::BN / 8; ++n)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int row = warpRow0 + i * 16 + g + (e >> 1) * 8;
            const int col = kv0 + n * 8 + 2 * t + (e & 1);
            if (col >= seq || (kCausal && col > row)) s[i][n][e] = -INFINITY;
          }
    }

    // Online softmax: new row maxima, rescale what was accumulated, P = 2^(S scale log2e - max).
    float alphas[T::kMi][2];
#pragma unroll
    for (int i = 0; i < T::kMi; ++i) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        float mx = -INFINITY;
#pragma unroll
        for (int n = 0; n < T::BN / 8; ++n) mx = fmaxf(mx, fmaxf(s[i][n][2 * half], s[i][n][2 * half + 1]));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
        const float newMax = fmaxf(rowMax[i][half], mx * scaleLog2);
        const float base = newMax == -INFINITY ? 0.0f : newMax;  // a row with nothing seen yet
        const float alpha = fastExp2(rowMax[i][half] - base);
        rowMax[i][half] = newMax;
        float sum = 0.0f;
#pragma unroll
        for (int n = 0; n < T::BN / 8; ++n) {
#pragma unroll
          for (int e = 2 * half; e < 2 * half + 2; ++e) {
            const float p = fastExp2(fmaf(s[i][n][e], scaleLog2, -base));
            s[i][n][e] = p;
            sum += p;
          }
        }
        rowSum[i][half] = rowSum[i][half] * alpha + sum;  // this thread's share; summed over the quad at the end
        alphas[i][half] = alpha;
      }
    }
    // Once the maxima settle, alpha is 1 for every row of the warp: skip the HD/2 multiplies per row.
    bool rescale = false;
#pragma unroll
    for (int i = 0; i < T::kMi; ++i) rescale |= alphas[i][0] != 1.0f || alphas[i][1] != 1.0f;
    if (__any_sync(0xffffffffu, rescale)) {
#pragma unroll
      for (int i = 0; i < T::kMi; ++i)
#pragma unroll
        for (int d = 0; d < T::HD / 8; ++d) {
          acc[i][d][0] *= alphas[i][0];
          acc[i][d][1] *= alphas[i][0];
          acc[i][d][2] *= alphas[i][1];
          acc[i][d][3] *= alphas[i][1];
        }
    }

    mma::wait<0>();
    __syncthreads();  // V_j visible; every warp is done reading K_j
    if (j + 1 < blocks) loadRows<T, T::BN>(sK, k, kv0 + T::BN, seq);
    mma::commit();

    // O += P V_j, P taken from the S accumulators as bf16 A fragments.
#pragma unroll
    for (int kk = 0; kk < T::BN / 16; ++kk) {
      uint32_t p[T::kMi][4];
#pragma unroll
      for (int i = 0; i < T::kMi; ++i) {
        p[i][0] = mma::packBf16(s[i][2 * kk][0], s[i][2 * kk][1]);
        p[i][1] = mma::packBf16(s[i][2 * kk][2], s[i][2 * kk][3]);
        p[i][2] = mma::packBf16(s[i][2 * kk + 1][0], s[i][2 * kk + 1][1]);
        p[i][3] = mma::packBf16(s[i][2 * kk + 1][2], s[i][2 * kk + 1][3]);
      }
#pragma unroll
      for (int d = 0; d < T::HD / 16; ++d) {
        uint32_t b[4];
        const int row = kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
        mma::ldmatrix4Trans(b, mma::sharedAddress(sV + swizzle<T::HD>(row, d * 2 + (lane >> 4))));
#pragma unroll
        for (int i = 0; i < T::kMi; ++i) {
          mma::mmaBf16(acc[i][2 * d], p[i], b[0], b[1]);
          mma::mmaBf16(acc[i][2 * d + 1], p[i], b[2], b[3]);
        }
      }
    }
  }
  mma::wait<0>();

  // O = acc / rowSum, rounded to bf16, rows past seq dropped.
#pragma unroll
  for (int i = 0; i < T::kMi; ++i) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      float sum = rowSum[i][half];
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      sum += __shfl_xor_sync(0xffffffffu, sum, 2);
      const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
      const int row = warpRow0 + i * 16 + g + half * 8;
      if (row >= seq) continue;
      __nv_bfloat16* dst = o + static_cast<size_t>(row) * out.rowStride + 2 * t;
#pragma unroll
      for (int d = 0; d < T::HD / 8; ++d) {
        *reinterpret_cast<__nv_bfloat162*>(dst + d * 8) =
            __floats2bfloat162_rn(acc[i][d][2 * half] * inv, acc[i][d][2 * half + 1] * inv);
      }
    }
  }
  cta.end();
}

// Variants (AttentionArgs::variant): 0 (default) 128 query rows on 4 warps, 64-key blocks; 1 the
// other key block (128 keys for head dim 64, 32 for 128); 2 128 rows on 8 warps of 16 rows; 3 64 rows
// on 4 warps of 16 rows (fewer registers, more CTAs per SM). 4, 5 and 6 are the wgmma kernel
// (attention_wgmma.cu; Hopper with sm_90a code only): 128-key blocks (4), 64-key blocks (5), 128-key
// blocks with the consumer warpgroups taking turns on the tensor cores (6, the default there: on the
// H200, 2026-11-30, llm-4k 2.68 ms against 2.72 for 4, bert-base 0.103 against 0.111).
constexpr int kMmaVariants = 4;
constexpr int kFirstWgmmaVariant = kMmaVariants;
constexpr int kDefaultWgmmaVariant = kMmaVariants + 2;
constexpr int kVariants = kMmaVariants + attention::kWgmmaVariants;

template <int HD, class F>
auto withTile(int variant, F&& f) {
  switch (variant) {
    case 1: return f(AttentionTile<HD, HD == 64 ? 128 : 32>{});
    case 2: return f(AttentionTile<HD, 64, 128, 8>{});
    case 3: return f(AttentionTile<HD, 64, 64, 4>{});
    default: return f(AttentionTile<HD, 64>{});
  }
}

template <class T>
cudaError_t configureTile() {
  cudaError_t e = cudaFuncSetAttribute(attentionKernel<T, false>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       static_cast<int>(T::kSharedBytes));
  if (e != cudaSuccess) return e;
  return cudaFuncSetAttribute(attentionKernel<T, true>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                              static_cast<int>(T::kSharedBytes));
}

template <class T>
cudaError_t launchTile(const AttentionArgs& a, Interval* trace, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(a.batch * a.heads), static_cast<unsigned>((a.seq + T::BM - 1) / T::BM));
  if (a.causal) {
    attentionKernel<T, true><<<grid, T::kThreads, T::kSharedBytes, stream>>>(a, trace);
  } else {
    attentionKernel<T, false><<<grid, T::kThreads, T::kSharedBytes, stream>>>(a, trace);
  }
  return cudaGetLastError();
}

// The variant that runs: the requested one, else (-1 or out of range) the wgmma kernel where sm_90a
// code runs and variant 0 elsewhere; a wgmma variant without sm_90a code falls back to variant 0
// (its kernel body is empty there).
int variantOf(const AttentionArgs& a) {
  int v = a.variant >= 0 && a.variant < kVariants ? a.variant : (a.sm90a ? kDefaultWgmmaVariant : 0);
  if (v >= kFirstWgmmaVariant && !a.sm90a) v = 0;
  return v;
}
bool isWgmma(int variant) { return variant >= kFirstWgmmaVariant; }

// Calls f with a value of the tile type of this head dim and variant.
template <class F>
auto dispatch(const AttentionArgs& a, F&& f) {
  return a.headDim == 64 ? withTile<64>(variantOf(a), f) : withTile<128>(variantOf(a), f);
}

}  // namespace

bool attentionSupportsHeadDim(int headDim) { return headDim == 64 || headDim == 128; }

int attentionVariantCount() { return kVariants; }

int attentionCtaCount(const AttentionArgs& a) {
  if (!attentionSupportsHeadDim(a.headDim)) return 0;
  const int v = variantOf(a);
  if (isWgmma(v)) return attention::wgmmaCtaCount(a, v - kFirstWgmmaVariant);
  return dispatch(
      a, [&](auto tile) { return a.batch * a.heads * ((a.seq + decltype(tile)::BM - 1) / decltype(tile)::BM); });
}

cudaError_t configureAttention(const AttentionArgs& a) {
  if (!attentionSupportsHeadDim(a.headDim)) return cudaErrorInvalidValue;
  const int v = variantOf(a);
  if (isWgmma(v)) return attention::configureWgmma(a, v - kFirstWgmmaVariant);
  return dispatch(a, [](auto tile) { return configureTile<decltype(tile)>(); });
}

cudaError_t launchAttentionBf16(const AttentionArgs& a, Interval* trace, cudaStream_t stream) {
  if (!attentionSupportsHeadDim(a.headDim)) return cudaErrorInvalidValue;
  const int v = variantOf(a);
  if (isWgmma(v)) return attention::launchWgmma(a, v - kFirstWgmmaVariant, trace, stream);
  return dispatch(a, [&](auto tile) { return launchTile<decltype(tile)>(a, trace, stream); });
}

}  // namespace gsm
